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
