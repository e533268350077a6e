//! A scan killed with SIGKILL at any point leaves the catalog readable and
//! consistent: no finding without its dataset row, no dataset half-written.

use crate::util::*;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn sigkill_mid_scan_leaves_a_consistent_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    for i in 0..120 {
        let mut csv = String::from("name,email,notes\n");
        for r in 0..200 {
            csv += &format!("Person {r},p{r}.d{i}@example.com,note {r}\n");
        }
        let sub = lake.join(format!("part{}", i % 6));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(format!("d{i:03}.csv")), csv).unwrap();
    }
    let catalog = dir.path().join("c");
    for delay_ms in [150u64, 400, 900, 1600] {
        let mut child = Command::new(bin())
            .args([
                "scan",
                "--quiet",
                "--catalog",
                catalog.to_str().unwrap(),
                lake.to_str().unwrap(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        // Readable, and consistent.
        let orphans = query(
            &catalog,
            "SELECT COUNT(*) AS n FROM classifications c LEFT JOIN datasets d ON c.dataset_uri = d.dataset_uri WHERE d.dataset_uri IS NULL",
        );
        assert_eq!(
            orphans[0]["n"], 0,
            "findings without a dataset row after kill at {delay_ms} ms"
        );
        let partial = query(
            &catalog,
            "SELECT d.dataset_uri, COUNT(c.column_path) AS n FROM datasets d LEFT JOIN columns c ON c.dataset_uri = d.dataset_uri WHERE d.status = 'ok' GROUP BY d.dataset_uri HAVING COUNT(c.column_path) <> 3",
        );
        assert!(
            partial.is_empty(),
            "half-written datasets after kill at {delay_ms} ms: {partial:?}"
        );
    }
    // A full run afterwards completes and holds everything.
    let o = scan(&catalog, &[&lake], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let n = query(
        &catalog,
        "SELECT COUNT(*) AS n FROM datasets WHERE status = 'ok'",
    );
    assert_eq!(n[0]["n"], 120);
    let e = query(&catalog, "SELECT COUNT(DISTINCT dataset_uri) AS n FROM classifications WHERE entity = 'EMAIL_ADDRESS'");
    assert_eq!(e[0]["n"], 120);
}
