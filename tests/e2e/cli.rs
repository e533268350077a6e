//! The command-line contract: named queries, output formats, explain, exit codes.

use crate::util::*;

#[test]
fn query_named_posture_formats_and_explain() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("c");
    let summary = dir.path().join("summary.json");
    let lake = demo_lake().join("customers_us.parquet");
    let o = scan(
        &catalog,
        &[&lake],
        &["--summary-json", summary.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(s["schema_version"], 3);
    assert_eq!(s["datasets_scanned"], 1);
    assert!(s["findings_by_entity"]["US_SSN"].as_u64().unwrap() >= 1);

    let c = catalog.to_str().unwrap();
    let o = run(&["query", "--catalog", c, "posture"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    assert!(
        table.contains("US_SSN") && table.contains("HIGH"),
        "{table}"
    );
    // HIGH rows come before MEDIUM rows.
    assert!(table.find("HIGH").unwrap() < table.find("MEDIUM").unwrap());

    let o = run(&[
        "query",
        "--catalog",
        c,
        "--format",
        "csv",
        "SELECT entity FROM classifications WHERE column_path = 'ssn'",
    ]);
    assert_eq!(stdout(&o).trim(), "entity\nUS_SSN");

    let sql_file = dir.path().join("q.sql");
    std::fs::write(&sql_file, "SELECT COUNT(*) AS n FROM datasets").unwrap();
    let rows = query(&catalog, sql_file.to_str().unwrap());
    assert_eq!(rows[0]["n"], 1);

    let o = run(&["query", "--catalog", c, "--list"]);
    assert!(stdout(&o).contains("posture"));

    let o = run(&["explain", "--catalog", c, lake.to_str().unwrap(), "ssn"]);
    let text = stdout(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        text.contains("FOUND US_SSN") && text.contains("***-**-"),
        "{text}"
    );
    let o = run(&[
        "explain",
        "--catalog",
        c,
        lake.to_str().unwrap(),
        "email_opt_in",
    ]);
    assert!(stdout(&o).contains("findings: none"), "{}", stdout(&o));
    let o = run(&[
        "explain",
        "--catalog",
        c,
        lake.to_str().unwrap(),
        "order_id_16",
    ]);
    assert!(
        stdout(&o).contains("considered and rejected"),
        "{}",
        stdout(&o)
    );
    let o = run(&["explain", "--catalog", c, lake.to_str().unwrap(), "nope"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn usage_errors_exit_2_and_fatal_errors_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c");
    assert_eq!(run(&["scan"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    let o = run(&["scan", "--catalog", c.to_str().unwrap(), "gopher://x/y"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("gopher://x/y"), "{}", stderr(&o));
    let missing = dir.path().join("no-such-lake");
    let o = run(&[
        "scan",
        "--quiet",
        "--catalog",
        c.to_str().unwrap(),
        missing.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let o = run(&["query", "--catalog", c.to_str().unwrap(), "SELEC nonsense"]);
    assert_eq!(o.status.code(), Some(2));
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("bad.toml"),
        "entity = \"X\"\n[[patterns]]\nid='p'\nregex='(unclosed'\n",
    )
    .unwrap();
    let o = run(&[
        "scan",
        "--catalog",
        c.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("bad.toml"), "{}", stderr(&o));
}

#[test]
fn user_rules_add_an_entity() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    std::fs::create_dir_all(&lake).unwrap();
    let mut csv = String::from("id,badge\n");
    for i in 0..200 {
        csv += &format!("{i},EMP-{:06}\n", 100000 + i * 37);
    }
    std::fs::write(lake.join("staff.csv"), csv).unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("employee_id.toml"),
        "entity = \"EMPLOYEE_ID\"\nsensitivity = \"MEDIUM\"\ndescription = \"Staff badge\"\n[[patterns]]\nid = \"emp\"\nregex = '\\bEMP-\\d{6}\\b'\nscore = 0.9\nkinds = [\"text\"]\n",
    )
    .unwrap();
    let catalog = dir.path().join("c");
    let o = scan(&catalog, &[&lake], &["--rules", rules.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = query(&catalog, "SELECT column_path, entity FROM classifications");
    assert!(
        rows.iter()
            .any(|r| str_of(r, "entity") == "EMPLOYEE_ID" && str_of(r, "column_path") == "badge"),
        "{rows:?}"
    );
}

/// The two inventory queries on a small lake of one good, one broken and
/// one unsupported dataset: `not_scanned` lists exactly what was not read
/// (errors first, with the reason), `findings_by_entity` counts datasets and
/// columns per entity, HIGH sensitivity first.
#[test]
fn not_scanned_and_findings_by_entity_list_what_the_catalog_holds() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    std::fs::create_dir_all(&lake).unwrap();
    std::fs::copy(
        demo_lake().join("crm/contacts_gb.csv"),
        lake.join("contacts_gb.csv"),
    )
    .unwrap();
    std::fs::copy(demo_lake().join("misc/data.avro"), lake.join("data.avro")).unwrap();
    std::fs::write(lake.join("broken.parquet"), b"PAR1 this is not parquet").unwrap();
    let catalog = dir.path().join("c");
    let o = scan(&catalog, &[&lake], &[]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "one dataset fails: {}",
        stderr(&o)
    );
    let c = catalog.to_str().unwrap();
    let o = run(&["query", "--catalog", c, "--format", "json", "not_scanned"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    let got: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            let uri = str_of(r, "dataset_uri");
            (
                uri.rsplit('/').next().unwrap().to_string(),
                str_of(r, "status").to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("broken.parquet".to_string(), "error".to_string()),
            ("data.avro".to_string(), "unsupported".to_string())
        ]
    );
    assert!(
        rows.iter().all(|r| !str_of(r, "reason").is_empty()),
        "{rows:?}"
    );
    assert!(str_of(&rows[0], "reason").contains("broken.parquet"));

    let o = run(&[
        "query",
        "--catalog",
        c,
        "--format",
        "json",
        "findings_by_entity",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    let by_entity: std::collections::BTreeMap<&str, (&str, u64, u64)> = rows
        .iter()
        .map(|r| {
            (
                str_of(r, "entity"),
                (
                    str_of(r, "sensitivity"),
                    r["datasets"].as_u64().unwrap(),
                    r["columns"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    // Exactly the truth file's columns per entity, all in one dataset.
    let truth: serde_json::Value = serde_json::from_slice(
        &std::fs::read(repo().join("fixtures/demo-lake.truth.json")).unwrap(),
    )
    .unwrap();
    let mut expected: std::collections::BTreeMap<String, u64> = Default::default();
    for d in truth["datasets"].as_array().unwrap() {
        if d["path"] == "crm/contacts_gb.csv" {
            for c in d["columns"].as_array().unwrap() {
                for e in c["entities"].as_array().unwrap() {
                    *expected.entry(e.as_str().unwrap().to_string()).or_default() += 1;
                }
            }
        }
    }
    let got: std::collections::BTreeMap<String, u64> = by_entity
        .iter()
        .map(|(e, (_, datasets, columns))| {
            assert_eq!(*datasets, 1, "{e}");
            (e.to_string(), *columns)
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(by_entity["EMAIL_ADDRESS"].0, "MEDIUM");
    assert_eq!(by_entity["UK_NINO"].0, "HIGH");
    // HIGH rows first.
    let levels: Vec<&str> = rows.iter().map(|r| str_of(r, "sensitivity")).collect();
    let first_non_high = levels
        .iter()
        .position(|l| *l != "HIGH")
        .unwrap_or(levels.len());
    assert!(
        levels[first_non_high..].iter().all(|l| *l != "HIGH"),
        "{levels:?}"
    );
    assert!(
        first_non_high > 0,
        "the lake holds HIGH entities: {levels:?}"
    );
}
