//! Running the binary and reading its answers.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_lakewarden")
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

pub fn demo_lake() -> PathBuf {
    repo().join("fixtures/demo-lake")
}

/// Run `lakewarden ARGS` and return its output.
pub fn run(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run lakewarden")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Scan `roots` into `catalog`; returns the process output.
pub fn scan(catalog: &Path, roots: &[&Path], extra: &[&str]) -> Output {
    let mut args = vec!["scan", "--quiet", "--catalog", catalog.to_str().unwrap()];
    for r in roots {
        args.push(r.to_str().unwrap());
    }
    args.extend_from_slice(extra);
    run(&args)
}

/// `lakewarden query --format json SQL` as JSON rows.
pub fn query(catalog: &Path, sql: &str) -> Vec<serde_json::Value> {
    let o = run(&[
        "query",
        "--catalog",
        catalog.to_str().unwrap(),
        "--format",
        "json",
        sql,
    ]);
    assert!(o.status.success(), "query failed: {}\n{sql}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {}", stdout(&o)))
}

pub fn str_of<'a>(row: &'a serde_json::Value, key: &str) -> &'a str {
    row[key].as_str().unwrap_or_default()
}

pub fn uri_of(p: &Path) -> String {
    format!("file://{}", p.display())
}
