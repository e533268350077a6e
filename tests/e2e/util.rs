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

/// Write `batches` as one Parquet file, a row group each.
pub fn write_parquet(path: &Path, batches: &[arrow::array::RecordBatch]) {
    let file = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batches[0].schema(), None).unwrap();
    for b in batches {
        w.write(b).unwrap();
        w.flush().unwrap();
    }
    w.close().unwrap();
}

/// A Delta table written by hand, commit by commit, as the protocol says:
/// Parquet data files plus `_delta_log/NNNNNNNNNNNNNNNNNNNN.json` commits of
/// `add` / `remove` actions (what Spark and delta-rs write too).
pub struct DeltaWriter {
    pub dir: PathBuf,
    next_version: u64,
}

impl DeltaWriter {
    /// A new table at `dir` whose schema is `fields` (Delta schema JSON
    /// fields: `{"name", "type", "nullable", "metadata"}`), partitioned by
    /// `partition_columns`, with the given table properties.
    pub fn create(
        dir: &Path,
        fields: serde_json::Value,
        partition_columns: &[&str],
        configuration: serde_json::Value,
    ) -> Self {
        std::fs::create_dir_all(dir.join("_delta_log")).unwrap();
        let schema = serde_json::json!({"type": "struct", "fields": fields});
        let mut w = DeltaWriter {
            dir: dir.to_path_buf(),
            next_version: 0,
        };
        w.commit(
            "CREATE TABLE",
            vec![
                serde_json::json!({"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}}),
                serde_json::json!({"metaData": {"id": "6a1f3c2e-8d1b-4f7a-9c55-0d2b7e4a9f10",
                    "format": {"provider": "parquet", "options": {}},
                    "schemaString": schema.to_string(), "partitionColumns": partition_columns,
                    "configuration": configuration, "createdTime": 1717243200000i64}}),
            ],
        );
        w
    }

    /// Write `batch` as data file `name` and return its `add` action.
    pub fn add(&self, name: &str, batch: arrow::array::RecordBatch) -> serde_json::Value {
        self.add_partition(name, batch, serde_json::json!({}))
    }

    /// The same for a file of one partition (`{"region": "eu"}`; `name`
    /// may be in a `region=eu/` folder, as writers put it).
    pub fn add_partition(
        &self,
        name: &str,
        batch: arrow::array::RecordBatch,
        partition_values: serde_json::Value,
    ) -> serde_json::Value {
        let path = self.dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let rows = batch.num_rows();
        write_parquet(&path, &[batch]);
        serde_json::json!({"add": {"path": name, "partitionValues": partition_values,
            "size": std::fs::metadata(&path).unwrap().len(),
            "modificationTime": 1717243200000i64, "dataChange": true,
            "stats": serde_json::json!({"numRecords": rows}).to_string()}})
    }

    /// The `remove` action of data file `name` (the file stays, as Delta
    /// leaves it for time travel until VACUUM).
    pub fn remove(&self, name: &str) -> serde_json::Value {
        serde_json::json!({"remove": {"path": name, "deletionTimestamp": 1717329600000i64,
            "dataChange": true}})
    }

    /// Commit `actions` as the next version.
    pub fn commit(&mut self, operation: &str, actions: Vec<serde_json::Value>) {
        let mut lines = vec![serde_json::json!({"commitInfo": {
            "timestamp": 1717243200000i64 + self.next_version as i64 * 3_600_000,
            "operation": operation}})
        .to_string()];
        lines.extend(actions.iter().map(|a| a.to_string()));
        std::fs::write(
            self.dir
                .join(format!("_delta_log/{:020}.json", self.next_version)),
            lines.join("\n") + "\n",
        )
        .unwrap();
        self.next_version += 1;
    }
}
