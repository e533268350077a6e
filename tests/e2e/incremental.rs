//! Incremental scans on a local copy of the demo lake: an unchanged dataset
//! is skipped without a read, a changed one is read again, a vanished one is
//! marked deleted (only under the roots a run covered), changed rules or
//! `--full` read everything, and `--shard K/N` splits the estate.

use crate::util::*;
use std::collections::BTreeSet;
use std::path::Path;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Scan with `--summary-json`; returns the summary (exit 0 required).
fn scan_summary(catalog: &Path, roots: &[&Path], extra: &[&str]) -> serde_json::Value {
    let summary = catalog.with_extension(format!("{}.json", uuid_like()));
    let mut args = vec!["--summary-json", summary.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = scan(catalog, roots, &args);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap()
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("s{}", N.fetch_add(1, Ordering::Relaxed))
}

fn n(v: &serde_json::Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} missing: {v}"))
}

/// Every finding, without the run that produced it.
fn findings(catalog: &Path) -> BTreeSet<String> {
    query(
        catalog,
        "SELECT dataset_uri, column_path, entity, confidence, sampled_values, matched_values, \
         evidence, first_seen_run FROM classifications",
    )
    .iter()
    .map(|r| r.to_string())
    .collect()
}

fn statuses(catalog: &Path) -> BTreeSet<(String, String)> {
    query(catalog, "SELECT dataset_uri, status FROM datasets")
        .iter()
        .map(|r| {
            (
                str_of(r, "dataset_uri").to_string(),
                str_of(r, "status").to_string(),
            )
        })
        .collect()
}

#[test]
fn unchanged_datasets_are_skipped_changed_ones_rescanned_vanished_ones_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    copy_dir(&demo_lake(), &lake);
    let catalog = dir.path().join("c");

    let first = scan_summary(&catalog, &[&lake], &[]);
    let datasets = n(&first, "datasets_scanned") + n(&first, "datasets_unsupported");
    assert!(datasets >= 15, "{first}");
    assert_eq!(n(&first, "datasets_skipped"), 0);
    let before = findings(&catalog);
    assert!(before.len() > 40);
    // What the listing showed is kept per object.
    let files = query(
        &catalog,
        "SELECT COUNT(*) AS n, COUNT(DISTINCT dataset_uri) AS d FROM dataset_files",
    );
    assert!(files[0]["n"].as_u64().unwrap() > datasets, "{files:?}");
    assert_eq!(files[0]["d"].as_u64().unwrap(), datasets);
    assert_eq!(Some(n(&first, "objects_listed")), files[0]["n"].as_u64());
    assert!(first["listing_seconds"].as_f64().unwrap() > 0.0, "{first}");

    // Nothing changed: nothing is read, the findings stay as they were.
    let second = scan_summary(&catalog, &[&lake], &[]);
    assert_eq!(n(&second, "datasets_scanned"), 0, "{second}");
    assert_eq!(n(&second, "datasets_skipped"), datasets);
    assert_eq!(n(&second, "bytes_read"), 0);
    assert_eq!(n(&second, "datasets_deleted"), 0);
    assert_eq!(findings(&catalog), before);
    let run = query(
        &catalog,
        &format!(
            "SELECT datasets_scanned, datasets_skipped, status FROM scan_runs WHERE run_id = '{}'",
            second["run_id"].as_str().unwrap()
        ),
    );
    assert_eq!(run[0]["datasets_skipped"].as_u64(), Some(datasets));
    assert_eq!(str_of(&run[0], "status"), "ok");

    // One file grows, one is only touched (same bytes, new mtime), and the
    // Delta table gets a commit that adds no file: those three are read again.
    let csv = lake.join("crm/contacts_gb.csv");
    let mut text = std::fs::read_to_string(&csv).unwrap();
    text.push_str("Ada Lovelace,ada.lovelace@example.org,,,,\n");
    std::fs::write(&csv, text).unwrap();
    let parquet = lake.join("nested/profiles.parquet");
    let f = std::fs::File::options().write(true).open(&parquet).unwrap();
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .unwrap();
    drop(f);
    std::fs::write(
        lake.join("delta/customers_delta/_delta_log/00000000000000000002.json"),
        "{\"commitInfo\":{\"timestamp\":1717333200000,\"operation\":\"SET TBLPROPERTIES\",\
         \"operationParameters\":{\"properties\":\"{}\"},\"clientVersion\":\"test\"}}\n",
    )
    .unwrap();
    let third = scan_summary(&catalog, &[&lake], &[]);
    assert_eq!(n(&third, "datasets_scanned"), 3, "{third}");
    assert_eq!(n(&third, "datasets_skipped"), datasets - 3);
    let rescanned = query(
        &catalog,
        &format!(
            "SELECT dataset_uri, version FROM datasets WHERE last_scan_run = '{}' ORDER BY 1",
            third["run_id"].as_str().unwrap()
        ),
    );
    let rescanned_uris: Vec<&str> = rescanned.iter().map(|r| str_of(r, "dataset_uri")).collect();
    assert_eq!(
        rescanned_uris,
        [
            uri_of(&csv),
            uri_of(&lake.join("delta/customers_delta")),
            uri_of(&parquet)
        ]
    );
    assert_eq!(rescanned[1]["version"], 2, "the Delta version read");
    // The versions time travel can still reach, and which one was read.
    let delta = uri_of(&lake.join("delta/customers_delta"));
    let versions = query(
        &catalog,
        &format!(
            "SELECT version, scanned, operation, log_expires_at > committed_at AS expires_later \
             FROM dataset_versions WHERE dataset_uri = '{delta}' ORDER BY version"
        ),
    );
    let got: Vec<String> = versions
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r["version"],
                r["scanned"],
                str_of(r, "operation"),
                r["expires_later"]
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "0 false WRITE true",
            "1 false WRITE true",
            "2 true SET TBLPROPERTIES true"
        ]
    );
    // …and the named query flags the older ones of a table holding PII.
    let tt = query(&catalog, "time_travel");
    let old: Vec<(String, u64)> = tt
        .iter()
        .map(|r| {
            (
                str_of(r, "dataset_uri").to_string(),
                r["version"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(old, [(delta.clone(), 1), (delta.clone(), 0)], "{tt:?}");
    assert!(
        str_of(&tt[0], "entities").contains("EMAIL_ADDRESS"),
        "{tt:?}"
    );

    // A file and a folder dataset vanish: marked deleted, findings gone.
    std::fs::remove_file(lake.join("customers_us.parquet")).unwrap();
    std::fs::remove_dir_all(lake.join("spark_out")).unwrap();
    // A scan of a sub-root does not notice what is missing outside it.
    let sub = scan_summary(&catalog, &[&lake.join("crm")], &[]);
    assert_eq!(n(&sub, "datasets_deleted"), 0, "{sub}");
    let fourth = scan_summary(&catalog, &[&lake], &[]);
    assert_eq!(n(&fourth, "datasets_deleted"), 2, "{fourth}");
    assert_eq!(n(&fourth, "datasets_scanned"), 0);
    let gone: BTreeSet<String> = [
        uri_of(&lake.join("customers_us.parquet")),
        uri_of(&lake.join("spark_out")),
    ]
    .into();
    let st = statuses(&catalog);
    for g in &gone {
        assert!(st.contains(&(g.clone(), "deleted".into())), "{g}: {st:?}");
    }
    let left = query(
        &catalog,
        "SELECT DISTINCT c.dataset_uri FROM classifications c \
         JOIN datasets d ON c.dataset_uri = d.dataset_uri WHERE d.status = 'deleted'",
    );
    assert!(left.is_empty(), "findings of deleted datasets: {left:?}");
    // Marked once: the next run has nothing more to delete.
    let fifth = scan_summary(&catalog, &[&lake], &[]);
    assert_eq!(n(&fifth, "datasets_deleted"), 0);
    assert_eq!(n(&fifth, "datasets_scanned"), 0);

    // Other rules or --full read everything again.
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("employee_id.toml"),
        "entity = \"EMPLOYEE_ID\"\nsensitivity = \"MEDIUM\"\ndescription = \"Staff badge\"\n\
         [[patterns]]\nid = \"emp\"\nregex = '\\bEMP-\\d{6}\\b'\nscore = 0.9\nkinds = [\"text\"]\n",
    )
    .unwrap();
    let left_now = datasets - 2;
    let with_rules = scan_summary(&catalog, &[&lake], &["--rules", rules.to_str().unwrap()]);
    assert_eq!(n(&with_rules, "datasets_skipped"), 0, "{with_rules}");
    assert_eq!(
        n(&with_rules, "datasets_scanned") + n(&with_rules, "datasets_unsupported"),
        left_now
    );
    let full = scan_summary(&catalog, &[&lake], &["--full"]);
    assert_eq!(n(&full, "datasets_skipped"), 0, "{full}");
    // Back to the default settings: everything differs from the --full run.
    let default_again = scan_summary(&catalog, &[&lake], &[]);
    assert_eq!(n(&default_again, "datasets_skipped"), 0);
    let settled = scan_summary(&catalog, &[&lake], &[]);
    assert_eq!(n(&settled, "datasets_skipped"), left_now);
}

#[test]
fn shards_split_the_estate_and_only_delete_within_themselves() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    copy_dir(&demo_lake(), &lake);
    let all_cat = dir.path().join("all");
    scan_summary(&all_cat, &[&lake], &[]);
    let all = statuses(&all_cat);

    let catalog = dir.path().join("c");
    let s0 = scan_summary(&catalog, &[&lake], &["--shard", "0/2"]);
    let after0 = statuses(&catalog);
    let s1 = scan_summary(&catalog, &[&lake], &["--shard", "1/2"]);
    assert_eq!(s0["shard"], "0/2");
    assert!(!after0.is_empty() && after0.len() < all.len(), "{after0:?}");
    // Shard 1 did not mark shard 0's datasets deleted, and together they
    // cover the estate once.
    assert_eq!(n(&s1, "datasets_deleted"), 0);
    assert_eq!(statuses(&catalog), all);
    assert_eq!(
        n(&s0, "datasets_scanned") + n(&s1, "datasets_scanned"),
        all.iter().filter(|(_, s)| s == "ok").count() as u64
    );

    let o = scan(&catalog, &[&lake], &["--shard", "2/2"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("K/N"), "{}", stderr(&o));
}

/// `lakewarden ARGS` with no cloud credentials in the environment.
fn run_clean(args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(bin());
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") || k.starts_with("AZURE_") || k.starts_with("LAKEWARDEN_") {
            cmd.env_remove(k);
        }
    }
    cmd.args(args).env("RUST_LOG", "warn").output().unwrap()
}

fn one_line(o: &std::process::Output) -> String {
    let err = stderr(o);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected: {err}");
    lines[0].to_string()
}

#[test]
fn estate_config_gives_roots_globs_and_settings_and_is_checked_before_scanning() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    copy_dir(&demo_lake(), &lake);
    let catalog = dir.path().join("c");
    let estate = dir.path().join("estate.toml");
    let c = catalog.to_str().unwrap();
    let e = estate.to_str().unwrap();

    // The whole lake first, then the nightly job, which excludes two folders:
    // what it excludes is neither scanned nor marked deleted.
    let all = scan_summary(&catalog, &[&lake], &[]);
    std::fs::write(
        &estate,
        "[scan]\nroots = [\"lake\"]   # relative to this file\n\
         exclude = [\"misc/**\", \"events/**\"]\nsample_rows = 3000\n",
    )
    .unwrap();
    let nightly = scan_summary(&catalog, &[], &["--config", e]);
    assert_eq!(n(&nightly, "datasets_deleted"), 0, "{nightly}");
    assert_eq!(
        n(&nightly, "datasets_skipped"),
        0,
        "sample_rows changed: {nightly}"
    );
    let covered = n(&nightly, "datasets_scanned") + n(&nightly, "datasets_unsupported");
    let excluded = query(
        &catalog,
        &format!(
            "SELECT dataset_uri, last_scan_run FROM datasets WHERE dataset_uri LIKE '{}/misc/%' \
             OR dataset_uri LIKE '{}/events/%'",
            uri_of(&lake),
            uri_of(&lake)
        ),
    );
    assert!(excluded.len() >= 5, "{excluded:?}");
    for r in &excluded {
        assert_eq!(str_of(r, "last_scan_run"), all["run_id"].as_str().unwrap());
    }
    assert_eq!(
        covered + excluded.len() as u64,
        n(&all, "datasets_scanned") + n(&all, "datasets_unsupported")
    );
    // Unchanged: skipped; a flag overrides the file (new settings: re-read).
    let again = scan_summary(&catalog, &[], &["--config", e]);
    assert_eq!(n(&again, "datasets_skipped"), covered, "{again}");
    let flag = scan_summary(&catalog, &[], &["--config", e, "--sample-rows", "2000"]);
    assert_eq!(n(&flag, "datasets_skipped"), 0, "{flag}");

    // Mistakes are configuration errors (exit 2), one line naming the file,
    // found before anything is scanned or written.
    let bad = dir.path().join("bad.toml");
    let b = bad.to_str().unwrap();
    let fresh = dir.path().join("fresh");
    let f = fresh.to_str().unwrap();
    for (text, words) in [
        (
            "[scan]\nroots = [\"lake\"]\nsample_row = 5\n",
            vec!["bad.toml (line 3)", "sample_row"],
        ),
        (
            "[scan]\nroots = [\"lake\"]\nexclude = [\"[\"]\n",
            vec!["bad.toml", "exclude glob"],
        ),
        ("[scan]\nroots = [\"ftp://host/x\"]\n", vec!["ftp://host/x"]),
        (
            "[scan]\nroots = [\"lake\", \"s3://corp-lake/raw\"]\n",
            vec!["s3://corp-lake/raw", "credentials"],
        ),
        (
            "[scan]\nshard = \"3/3\"\nroots = [\"lake\"]\n",
            vec!["bad.toml", "K/N"],
        ),
    ] {
        std::fs::write(&bad, text).unwrap();
        let o = run_clean(&["scan", "--quiet", "--catalog", f, "--config", b]);
        assert_eq!(o.status.code(), Some(2), "{text}: {}", stderr(&o));
        let line = one_line(&o);
        for w in words {
            assert!(line.contains(w), "{text}: {w:?} missing in {line}");
        }
        assert!(!fresh.exists(), "{text}: nothing may be written");
    }
    let o = run_clean(&["scan", "--quiet", "--catalog", c]);
    assert_eq!(o.status.code(), Some(2));
    assert!(one_line(&o).contains("nothing to scan"));
}

/// People rows `range`: ids, e-mails, SSNs (valid areas) where `ssn`, and a
/// free-text column that holds an e-mail in every 25th row where `notes`.
fn people(range: std::ops::Range<i64>, ssn: bool, notes: bool) -> arrow::array::RecordBatch {
    use arrow::array::{ArrayRef, Int64Array, StringArray};
    use std::sync::Arc;
    let ids: Vec<i64> = range.clone().collect();
    let email: Vec<String> = range
        .clone()
        .map(|i| format!("person{i}@example.org"))
        .collect();
    let ssns: Vec<Option<String>> = range
        .clone()
        .map(|i| ssn.then(|| format!("{:03}-{:02}-{:04}", 100 + i % 600, 10 + i % 80, 1000 + i)))
        .collect();
    let note: Vec<String> = range
        .map(|i| {
            if notes && i % 25 == 0 {
                format!("forwarded to agent{i}@corp.example.com")
            } else {
                "no follow-up needed".to_string()
            }
        })
        .collect();
    arrow::array::RecordBatch::try_from_iter(vec![
        ("id", Arc::new(Int64Array::from(ids)) as ArrayRef),
        ("email", Arc::new(StringArray::from(email)) as ArrayRef),
        ("ssn", Arc::new(StringArray::from(ssns)) as ArrayRef),
        ("notes", Arc::new(StringArray::from(note)) as ArrayRef),
    ])
    .unwrap()
}

fn people_fields() -> serde_json::Value {
    serde_json::json!([
        {"name": "id", "type": "long", "nullable": true, "metadata": {}},
        {"name": "email", "type": "string", "nullable": true, "metadata": {}},
        {"name": "ssn", "type": "string", "nullable": true, "metadata": {}},
        {"name": "notes", "type": "string", "nullable": true, "metadata": {}},
    ])
}

/// (column_path, entity) of one dataset's findings.
fn entities_of(catalog: &Path, dataset_uri: &str) -> BTreeSet<String> {
    query(
        catalog,
        &format!(
            "SELECT column_path, entity FROM classifications WHERE dataset_uri = '{dataset_uri}'"
        ),
    )
    .iter()
    .map(|r| format!("{} {}", str_of(r, "column_path"), str_of(r, "entity")))
    .collect()
}

/// The dataset row's `bytes_read` and `notes`.
fn read_figures(catalog: &Path, dataset_uri: &str) -> (u64, String) {
    let r = query(
        catalog,
        &format!("SELECT bytes_read, notes FROM datasets WHERE dataset_uri = '{dataset_uri}'"),
    );
    (
        r[0]["bytes_read"].as_u64().unwrap(),
        str_of(&r[0], "notes").to_string(),
    )
}

/// Files whose evidence the catalog keeps for a dataset, with the run that read each.
fn evidence_files(catalog: &Path, dataset_uri: &str) -> Vec<(String, String)> {
    query(
        catalog,
        &format!(
            "SELECT DISTINCT object_uri, run_id FROM file_evidence \
             WHERE dataset_uri = '{dataset_uri}' ORDER BY object_uri"
        ),
    )
    .iter()
    .map(|r| {
        (
            str_of(r, "object_uri")
                .rsplit('/')
                .next()
                .unwrap()
                .to_string(),
            str_of(r, "run_id").to_string(),
        )
    })
    .collect()
}

#[test]
fn a_delta_commit_is_read_file_by_file_only_added_files_are_read_and_removed_ones_drop_out() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let table = lake.join("people");
    let mut delta = DeltaWriter::create(&table, people_fields(), &[], serde_json::json!({}));
    // Version 1: SSNs only in the first file.
    let a = delta.add("part-00000-a.snappy.parquet", people(0..600, true, false));
    let b = delta.add(
        "part-00001-b.snappy.parquet",
        people(600..1200, false, false),
    );
    delta.commit("WRITE", vec![a, b]);
    let uri = uri_of(&table);
    let catalog = dir.path().join("c");

    let first = scan_summary(&catalog, &[&lake], &[]);
    assert_eq!(n(&first, "datasets_scanned"), 1, "{first}");
    let run1 = first["run_id"].as_str().unwrap().to_string();
    assert_eq!(
        entities_of(&catalog, &uri),
        BTreeSet::from(["email EMAIL_ADDRESS".into(), "ssn US_SSN".into()])
    );
    assert_eq!(
        evidence_files(&catalog, &uri),
        [
            ("part-00000-a.snappy.parquet".into(), run1.clone()),
            ("part-00001-b.snappy.parquet".into(), run1.clone())
        ]
    );
    let version = query(
        &catalog,
        &format!("SELECT version, row_count FROM datasets WHERE dataset_uri = '{uri}'"),
    );
    assert_eq!(version[0]["version"], 1);
    assert_eq!(version[0]["row_count"], 1200);

    // Version 2 appends a file whose notes hold e-mails: only it is read.
    let c = delta.add(
        "part-00002-c.snappy.parquet",
        people(1200..1800, false, true),
    );
    let c_size = std::fs::metadata(table.join("part-00002-c.snappy.parquet"))
        .unwrap()
        .len();
    delta.commit("WRITE", vec![c]);
    let second = scan_summary(&catalog, &[&lake], &[]);
    let run2 = second["run_id"].as_str().unwrap().to_string();
    assert_eq!(n(&second, "datasets_scanned"), 1, "{second}");
    let (bytes_read, notes) = read_figures(&catalog, &uri);
    assert!(
        bytes_read > 0 && bytes_read <= c_size,
        "only the added file is read: {bytes_read} bytes of its {c_size}"
    );
    assert_eq!(n(&second, "bytes_read"), bytes_read);
    assert!(notes.contains("1 of 3 files read"), "{notes}");
    assert_eq!(
        entities_of(&catalog, &uri),
        BTreeSet::from([
            "email EMAIL_ADDRESS".into(),
            "ssn US_SSN".into(),
            "notes EMAIL_ADDRESS".into()
        ])
    );
    assert_eq!(
        evidence_files(&catalog, &uri),
        [
            ("part-00000-a.snappy.parquet".into(), run1.clone()),
            ("part-00001-b.snappy.parquet".into(), run1.clone()),
            ("part-00002-c.snappy.parquet".into(), run2.clone())
        ]
    );
    let rows = query(
        &catalog,
        &format!("SELECT version, row_count FROM datasets WHERE dataset_uri = '{uri}'"),
    );
    assert_eq!(
        (rows[0]["version"].as_u64(), rows[0]["row_count"].as_u64()),
        (Some(2), Some(1800))
    );
    // A finding seen before keeps the run that first saw it.
    let first_seen = query(
        &catalog,
        &format!(
            "SELECT column_path, entity, first_seen_run, last_seen_run FROM classifications \
             WHERE dataset_uri = '{uri}' ORDER BY column_path"
        ),
    );
    for r in &first_seen {
        let expect = if str_of(r, "column_path") == "notes" {
            &run2
        } else {
            &run1
        };
        assert_eq!(str_of(r, "first_seen_run"), expect, "{r}");
        assert_eq!(str_of(r, "last_seen_run"), run2, "{r}");
    }
    // A scan of the same version from scratch finds the same.
    let fresh = dir.path().join("fresh");
    scan_summary(&fresh, &[&lake], &[]);
    assert_eq!(entities_of(&fresh, &uri), entities_of(&catalog, &uri));

    // Version 3 removes the only file with SSNs: nothing is read, the
    // finding goes with the file.
    delta.commit("DELETE", vec![delta.remove("part-00000-a.snappy.parquet")]);
    let third = scan_summary(&catalog, &[&lake], &[]);
    assert_eq!(n(&third, "datasets_scanned"), 1, "{third}");
    assert_eq!(n(&third, "bytes_read"), 0, "{third}");
    assert_eq!(
        entities_of(&catalog, &uri),
        BTreeSet::from(["email EMAIL_ADDRESS".into(), "notes EMAIL_ADDRESS".into()])
    );
    assert_eq!(evidence_files(&catalog, &uri).len(), 2);
    let fresh = dir.path().join("fresh3");
    scan_summary(&fresh, &[&lake], &[]);
    assert_eq!(entities_of(&fresh, &uri), entities_of(&catalog, &uri));

    // --rescan reads every live file again.
    let again = scan_summary(&catalog, &[&lake], &["--rescan"]);
    let (bytes_read, notes) = read_figures(&catalog, &uri);
    assert!(bytes_read > c_size, "{again}");
    assert!(!notes.contains("reused"), "{notes}");
    assert_eq!(evidence_files(&catalog, &uri).len(), 2);
}

#[test]
fn a_part_file_added_to_a_parquet_folder_is_the_only_file_read() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let folder = lake.join("exports");
    std::fs::create_dir_all(&folder).unwrap();
    write_parquet(
        &folder.join("part-00000.parquet"),
        &[people(0..800, true, false)],
    );
    write_parquet(
        &folder.join("part-00001.parquet"),
        &[people(800..1600, false, false)],
    );
    let uri = uri_of(&folder);
    let catalog = dir.path().join("c");
    scan_summary(&catalog, &[&lake], &[]);
    assert_eq!(evidence_files(&catalog, &uri).len(), 2);

    let added = folder.join("part-00002.parquet");
    write_parquet(&added, &[people(1600..2400, false, true)]);
    let size = std::fs::metadata(&added).unwrap().len();
    let second = scan_summary(&catalog, &[&lake], &[]);
    assert_eq!(n(&second, "datasets_scanned"), 1, "{second}");
    let (bytes_read, notes) = read_figures(&catalog, &uri);
    assert!(
        bytes_read > 0 && bytes_read <= size,
        "{bytes_read} of {size}"
    );
    assert!(notes.contains("1 of 3 files read"), "{notes}");
    assert!(entities_of(&catalog, &uri).contains("notes EMAIL_ADDRESS"));
    let fresh = dir.path().join("fresh");
    scan_summary(&fresh, &[&lake], &[]);
    assert_eq!(entities_of(&fresh, &uri), entities_of(&catalog, &uri));

    // A part file rewritten in place (new bytes, same name) is read again;
    // one deleted drops out.
    write_parquet(
        &folder.join("part-00001.parquet"),
        &[people(800..1700, false, false)],
    );
    std::fs::remove_file(folder.join("part-00000.parquet")).unwrap();
    let third = scan_summary(&catalog, &[&lake], &[]);
    let (_, notes) = read_figures(&catalog, &uri);
    assert!(notes.contains("1 of 2 files read"), "{notes} {third}");
    assert!(!entities_of(&catalog, &uri).contains("ssn US_SSN"));
    let fresh = dir.path().join("fresh2");
    scan_summary(&fresh, &[&lake], &[]);
    assert_eq!(entities_of(&fresh, &uri), entities_of(&catalog, &uri));
}

#[test]
fn a_partitioned_delta_table_read_file_by_file_has_the_columns_the_delta_scan_shows() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let table = lake.join("events");
    let mut fields = people_fields();
    fields.as_array_mut().unwrap().extend([
        serde_json::json!({"name": "region", "type": "string", "nullable": true, "metadata": {}}),
        serde_json::json!({"name": "day", "type": "date", "nullable": true, "metadata": {}}),
        serde_json::json!({"name": "added", "type": "string", "nullable": true, "metadata": {}}),
    ]);
    let mut delta = DeltaWriter::create(&table, fields, &["region", "day"], serde_json::json!({}));
    let mut adds = Vec::new();
    for (k, (region, day)) in [
        ("eu", "2024-05-01"),
        ("us", "2024-05-02"),
        ("eu", "2024-05-02"),
    ]
    .into_iter()
    .enumerate()
    {
        let k = k as i64;
        adds.push(delta.add_partition(
            &format!("region={region}/day={day}/part-0000{k}.snappy.parquet"),
            people(k * 500..(k + 1) * 500, k == 0, k == 2),
            serde_json::json!({"region": region, "day": day}),
        ));
    }
    // A null partition value, as writers record one.
    adds.push(delta.add_partition(
        "region=__HIVE_DEFAULT_PARTITION__/day=2024-05-03/part-00003.snappy.parquet",
        people(1500..1600, false, false),
        serde_json::json!({"region": null, "day": "2024-05-03"}),
    ));
    delta.commit("WRITE", adds);
    let uri = uri_of(&table);
    let columns = |catalog: &Path| -> Vec<String> {
        query(
            catalog,
            &format!(
                "SELECT column_path, data_type, null_fraction FROM columns \
                 WHERE dataset_uri = '{uri}' ORDER BY column_path"
            ),
        )
        .iter()
        .map(|r| {
            // delta-rs's scan reads strings as views; the Parquet reader
            // as plain strings: the same values.
            format!(
                "{} {} {:.3}",
                str_of(r, "column_path"),
                str_of(r, "data_type").replace("Utf8View", "Utf8"),
                r["null_fraction"].as_f64().unwrap()
            )
        })
        .collect()
    };
    let sampled = dir.path().join("sampled");
    scan_summary(&sampled, &[&lake], &[]);
    let (_, notes) = read_figures(&sampled, &uri);
    assert!(!notes.contains("not file by file"), "{notes}");
    assert_eq!(evidence_files(&sampled, &uri).len(), 4);
    // --full reads through delta-rs's DataFusion scan.
    let full = dir.path().join("full");
    scan_summary(&full, &[&lake], &["--full"]);
    assert_eq!(evidence_files(&full, &uri).len(), 0);
    let got = columns(&sampled);
    assert_eq!(got, columns(&full));
    assert!(got.contains(&"day Date32 0.000".to_string()), "{got:?}");
    assert!(
        got.iter().any(|c| c.starts_with("added Utf8 1.000")),
        "{got:?}"
    );
    assert_eq!(entities_of(&sampled, &uri), entities_of(&full, &uri));
    let rows = query(
        &sampled,
        &format!("SELECT row_count FROM datasets WHERE dataset_uri = '{uri}'"),
    );
    assert_eq!(rows[0]["row_count"], 1600);
}

/// Manifests and data files of a catalog folder, counted on disk.
fn catalog_files(catalog: &Path) -> (usize, usize) {
    let count = |dir: &Path| {
        walkdir_files(dir)
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "parquet"))
            .count()
    };
    (
        count(&catalog.join("_manifest")),
        count(&catalog.join("data")),
    )
}

fn walkdir_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walkdir_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn nightly_runs_delete_what_the_catalog_replaced_after_the_grace() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    copy_dir(&demo_lake(), &lake);
    let catalog = dir.path().join("c");
    // Within the default grace (an hour) nothing replaced is deleted yet.
    let mut manifests_kept = 0;
    for night in 0..3 {
        std::fs::write(
            lake.join(format!("night_{night}.csv")),
            format!("id,email\n{night},n{night}@example.com\n1,x@example.org\n"),
        )
        .unwrap();
        let o = scan(&catalog, &[&lake], &[]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let (m, _) = catalog_files(&catalog);
        assert!(m > manifests_kept, "night {night}: {m} manifests");
        manifests_kept = m;
    }
    assert!(manifests_kept > 10, "{manifests_kept}");
    let before = findings(&catalog);

    // With no grace, a run leaves the newest manifests and only the data
    // files they reference.
    std::fs::write(
        lake.join("night_3.csv"),
        "id,email\n3,n3@example.com\n4,m4@example.org\n",
    )
    .unwrap();
    let o = scan(&catalog, &[&lake], &["--vacuum-grace", "0"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (m, data) = catalog_files(&catalog);
    assert_eq!(m, 10, "the newest 10 manifests are kept");
    let referenced: BTreeSet<String> = walkdir_files(&catalog.join("_manifest"))
        .iter()
        .flat_map(|p| {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            v["tables"]
                .as_object()
                .unwrap()
                .values()
                .flat_map(|files| files.as_array().unwrap().clone())
                .map(|f| f["path"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        data,
        referenced.len(),
        "data files left: only referenced ones"
    );
    // Nothing the catalog holds was lost.
    let after = findings(&catalog);
    assert!(after.is_superset(&before), "findings lost by vacuum");
    let n3 = query(
        &catalog,
        "SELECT COUNT(*) AS n FROM classifications WHERE dataset_uri LIKE '%night_3.csv'",
    );
    assert_eq!(n3[0]["n"], 1);

    // A bad grace is a usage error naming where it came from.
    let o = scan(&catalog, &[&lake], &["--vacuum-grace", "soon"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--vacuum-grace"), "{}", stderr(&o));
    let cfg = dir.path().join("estate.toml");
    std::fs::write(&cfg, "[catalog]\nvacuum_grace = \"3 weeks\"\n").unwrap();
    let o = scan(&catalog, &[&lake], &["--config", cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("[catalog] vacuum_grace"),
        "{}",
        stderr(&o)
    );
}
