//! Bad input: each broken dataset fails alone, with a one-line reason naming
//! it and no raw value; odd-but-valid input simply works.

use crate::util::*;
use std::path::Path;

fn write(p: &Path, bytes: impl AsRef<[u8]>) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

fn status_of(rows: &[serde_json::Value], lake: &Path, rel: &str) -> (String, String) {
    let uri = format!("{}/{rel}", uri_of(lake));
    let r = rows
        .iter()
        .find(|r| str_of(r, "dataset_uri") == uri)
        .unwrap_or_else(|| panic!("{uri} missing: {rows:?}"));
    (
        str_of(r, "status").to_string(),
        str_of(r, "error").to_string(),
    )
}

#[test]
fn broken_datasets_fail_alone_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let good = demo_lake().join("customers_us.parquet");
    let parquet = std::fs::read(&good).unwrap();
    write(&lake.join("good.parquet"), &parquet);
    write(
        &lake.join("truncated.parquet"),
        &parquet[..parquet.len() / 2],
    );
    write(
        &lake.join("garbage.parquet"),
        b"this is not parquet at all, jane@example.com",
    );
    write(
        &lake.join("binary.csv"),
        (0..4096u32)
            .map(|i| (i * 7 % 256) as u8)
            .collect::<Vec<_>>(),
    );
    write(&lake.join("parquet_named.csv"), &parquet);
    write(&lake.join("binary.json"), b"\x00\x01\x02\x03{\"a\":1}");
    // Delta table whose log is broken.
    write(
        &lake.join("broken_delta/_delta_log/00000000000000000000.json"),
        b"{not json at all\n",
    );
    write(&lake.join("broken_delta/part-0.parquet"), &parquet);
    // Ragged CSV below the bad-row limit: works, bad rows counted.
    let mut ragged = String::from("name,email\n");
    for i in 0..100 {
        if i % 25 == 0 {
            ragged += "only-one-field\n";
        } else {
            ragged += &format!("User {i},user{i}@example.org\n");
        }
    }
    write(&lake.join("ragged_ok.csv"), &ragged);
    // ...and above it: fails.
    write(&lake.join("ragged_bad.csv"), "a,b\n1\n2\n3\n4,5\n");
    // JSON Lines with some broken lines.
    let mut jl = String::new();
    for i in 0..50 {
        if i == 7 {
            jl += "{\"email\": \"broken\n";
        } else {
            jl += &format!("{{\"email\":\"p{i}@example.net\",\"n\":{i}}}\n");
        }
    }
    write(&lake.join("some_bad.jsonl"), &jl);

    let catalog = dir.path().join("c");
    let o = scan(&catalog, &[&lake], &[]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "some datasets fail → exit 3: {}{}",
        stdout(&o),
        stderr(&o)
    );
    let rows = query(
        &catalog,
        "SELECT dataset_uri, status, error, rows_skipped, row_count FROM datasets",
    );
    let (s, _) = status_of(&rows, &lake, "good.parquet");
    assert_eq!(s, "ok");
    for rel in [
        "truncated.parquet",
        "garbage.parquet",
        "binary.csv",
        "parquet_named.csv",
        "binary.json",
        "broken_delta",
        "ragged_bad.csv",
    ] {
        let (s, e) = status_of(&rows, &lake, rel);
        assert_eq!(s, "error", "{rel}: {e}");
        assert!(e.contains(rel), "error must name the file: {rel}: {e}");
        assert!(!e.contains('\n'), "one line: {e}");
        assert!(!e.contains("jane@example.com"), "no raw values: {e}");
    }
    let (s, e) = status_of(&rows, &lake, "parquet_named.csv");
    assert!(e.contains("Parquet"), "{s}: {e}");
    let ok_rows = query(
        &catalog,
        "SELECT dataset_uri, rows_skipped, row_count, notes FROM datasets WHERE status = 'ok'",
    );
    let ragged = ok_rows
        .iter()
        .find(|r| str_of(r, "dataset_uri").ends_with("ragged_ok.csv"))
        .unwrap();
    assert_eq!(ragged["rows_skipped"], 4);
    assert_eq!(ragged["row_count"], 96);
    let jl = ok_rows
        .iter()
        .find(|r| str_of(r, "dataset_uri").ends_with("some_bad.jsonl"))
        .unwrap();
    assert_eq!(jl["rows_skipped"], 1);
    assert!(str_of(jl, "notes").contains("line 8"), "{jl}");
    // The rest was classified.
    let found = query(
        &catalog,
        "SELECT dataset_uri FROM classifications WHERE entity = 'EMAIL_ADDRESS'",
    );
    assert!(found
        .iter()
        .any(|r| str_of(r, "dataset_uri").ends_with("ragged_ok.csv")));
    assert!(found
        .iter()
        .any(|r| str_of(r, "dataset_uri").ends_with("some_bad.jsonl")));
    // No raw value from the broken files reached the catalog at all.
    let all = stdout(&run(&[
        "query",
        "--catalog",
        catalog.to_str().unwrap(),
        "--format",
        "csv",
        "SELECT * FROM datasets",
    ]));
    assert!(!all.contains("jane@example.com"));
}

#[test]
fn odd_but_valid_input_just_works() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    write(&lake.join("empty.csv"), b"");
    write(&lake.join("header_only.csv"), b"email,phone\n");
    write(
        &lake.join("naïve dir/file with spaces ü.csv"),
        b"kontakt\nanna@beispiel.de\nbob@example.com\n",
    );
    // 5,000 columns.
    let cols = 5000;
    let header: Vec<String> = (0..cols).map(|i| format!("c{i}")).collect();
    let mut wide = header.join(",") + "\n";
    for r in 0..3 {
        let row: Vec<String> = (0..cols)
            .map(|i| {
                if i == 4321 {
                    format!("wide{r}@example.com")
                } else {
                    format!("{}", i * r)
                }
            })
            .collect();
        wide += &(row.join(",") + "\n");
    }
    write(&lake.join("wide.csv"), wide);
    // A 1 MB single cell: an email at the start is matched, one past the
    // per-value cap is not, and the finding says values were cut.
    let mut big = String::from("id,blob\n1,");
    big += "start.of.blob@example.com ";
    big += &"x".repeat(1 << 20);
    big += " after.cap@example.com\n2,second@example.com\n";
    write(&lake.join("big_cell.csv"), big);
    let catalog = dir.path().join("c");
    let o = scan(&catalog, &[&lake], &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let rows = query(
        &catalog,
        "SELECT dataset_uri, status, row_count FROM datasets ORDER BY dataset_uri",
    );
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert!(rows.iter().all(|r| str_of(r, "status") == "ok"), "{rows:?}");
    let empty = rows
        .iter()
        .find(|r| str_of(r, "dataset_uri").ends_with("/empty.csv"))
        .unwrap();
    assert_eq!(empty["row_count"], 0);
    let f = query(
        &catalog,
        "SELECT dataset_uri, column_path, entity, explanation FROM classifications",
    );
    assert!(
        f.iter()
            .any(|r| str_of(r, "dataset_uri").ends_with("naïve dir/file with spaces ü.csv")),
        "{f:?}"
    );
    assert!(
        f.iter().any(|r| str_of(r, "column_path") == "c4321"),
        "{f:?}"
    );
    let big = f
        .iter()
        .find(|r| str_of(r, "column_path") == "blob")
        .expect("big cell classified");
    let ex: serde_json::Value = serde_json::from_str(str_of(big, "explanation")).unwrap();
    assert_eq!(ex["capped_values"], 1, "{ex}");
    assert_eq!(
        ex["validated"], 2,
        "the email past the cap is not matched: {ex}"
    );
    let cols = query(
        &catalog,
        "SELECT COUNT(*) AS n FROM columns WHERE dataset_uri LIKE '%wide.csv'",
    );
    assert_eq!(cols[0]["n"], 5000);
    let header_only = query(
        &catalog,
        "SELECT column_path FROM columns WHERE dataset_uri LIKE '%header_only.csv' ORDER BY 1",
    );
    assert_eq!(header_only.len(), 2);
}
