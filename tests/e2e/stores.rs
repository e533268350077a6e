//! The demo lake on real S3 and Azure servers (moto and Azurite, see
//! shared/SERVERS.md): the same findings as on local disk, and clean
//! one-line failures for a missing bucket, missing credentials and a wrong key.
//!
//! `scripts/test-servers.sh` installs both servers (idempotently; about a
//! minute the first time). Each test starts the servers it needs on free
//! ports of 127.0.0.1 and stops them when it ends (`Server` kills its child
//! on drop, also when the test panics).

use crate::proxy::{Faults, Proxy, Seen};
use crate::util::*;
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

const AZURITE_ACCOUNT: &str = "devstoreaccount1";
/// Azurite's published development key.
const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

struct Installed {
    moto: PathBuf,
    azurite: PathBuf,
    /// s3s-fs: S3 over a folder, checking SigV4 signatures.
    s3s_fs: PathBuf,
}

fn installed() -> &'static Installed {
    static INSTALLED: OnceLock<Installed> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let o = Command::new("bash")
            .arg(repo().join("scripts/test-servers.sh"))
            .arg("install")
            .stdin(Stdio::null())
            .output()
            .expect("run scripts/test-servers.sh");
        assert!(
            o.status.success(),
            "scripts/test-servers.sh install failed:\n{}",
            stderr(&o)
        );
        let out = stdout(&o);
        let get = |k: &str| -> PathBuf {
            out.lines()
                .find_map(|l| l.strip_prefix(&format!("{k}=")))
                .unwrap_or_else(|| panic!("test-servers.sh printed no {k}: {out}"))
                .into()
        };
        Installed {
            moto: get("MOTO_SERVER"),
            azurite: get("AZURITE_BLOB"),
            s3s_fs: get("S3S_FS"),
        }
    })
}

/// A server process on 127.0.0.1, killed when dropped.
struct Server {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        // The watchdog shell leads its own process group: end all of it.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the server under a watchdog shell in a process group of its own: if
/// the test process dies without dropping the guard (SIGKILL, a CI timeout),
/// the watchdog notices within a second and ends the group; if the server
/// exits, the watchdog exits too (so a failed start is seen at once).
const WATCHDOG: &str = r#"parent=$1; shift
"$@" &
server=$!
while kill -0 "$parent" 2>/dev/null && kill -0 "$server" 2>/dev/null; do sleep 1; done
kill 0"#;

impl Server {
    fn start(program: &Path, args: &[&str]) -> Server {
        let port = free_port();
        let dir = tempfile::tempdir().unwrap();
        let port_s = port.to_string();
        let args: Vec<&str> = args
            .iter()
            .map(|a| if *a == "{port}" { port_s.as_str() } else { a })
            .collect();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let child = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("sh")
            .arg(std::process::id().to_string())
            .arg(program)
            .args(&args)
            .process_group(0)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
        let mut server = Server {
            child,
            port,
            _dir: dir,
        };
        server.wait_ready(program);
        server
    }

    /// Wait until the server answers HTTP (any status).
    fn wait_ready(&mut self, program: &Path) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(self._dir.path().join("server.log"));
                panic!("{} exited ({status}): {log:?}", program.display());
            }
            if http(self.port, "GET", "/", &[]).is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not answer on port {} within 60 s",
                program.display(),
                self.port
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One plain HTTP/1.1 request; returns the status code.
fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)]) -> std::io::Result<u16> {
    let mut s =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n"
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let head = String::from_utf8_lossy(&buf);
    head.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not HTTP: {head:.80}")))
}

fn start_moto() -> Server {
    Server::start(&installed().moto, &["-H", "127.0.0.1", "-p", "{port}"])
}

fn start_azurite() -> Server {
    Server::start(
        &installed().azurite,
        &[
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            "{port}",
            "--inMemoryPersistence",
            "--loose",
            "--skipApiVersionCheck",
            "--disableTelemetry",
            "--silent",
        ],
    )
}

/// Environment for the binary to reach moto.
fn s3_env(moto: &Server) -> Vec<(String, String)> {
    vec![
        ("AWS_ENDPOINT".into(), moto.url()),
        ("AWS_ALLOW_HTTP".into(), "true".into()),
        ("AWS_REGION".into(), "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
    ]
}

/// Environment for the binary to reach Azurite in emulator mode.
fn azure_env(azurite: &Server) -> Vec<(String, String)> {
    vec![
        ("AZURE_STORAGE_USE_EMULATOR".into(), "true".into()),
        ("AZURITE_BLOB_STORAGE_URL".into(), azurite.url()),
    ]
}

/// Run the binary with `env` on top of a clean store environment (no
/// `AWS_*` / `AZURE_*` variables of the test's own, and AWS shared files
/// that do not exist unless `env` names some: a `~/.aws` of the machine
/// never leaks in).
fn run_with(env: &[(String, String)], args: &[&str]) -> Output {
    let mut cmd = Command::new(bin());
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") || k.starts_with("AZURE_") || k.starts_with("AZURITE_") {
            cmd.env_remove(k);
        }
    }
    let none = std::env::temp_dir().join("lakewarden-e2e-no-aws-files");
    cmd.args(args)
        .env("RUST_LOG", "warn")
        .env("AWS_CONFIG_FILE", none.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", none.join("credentials"))
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run lakewarden")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Every file of the demo lake as (relative path segments, path on disk).
fn demo_files() -> Vec<(Vec<String>, PathBuf)> {
    fn walk(dir: &Path, rel: &mut Vec<String>, out: &mut Vec<(Vec<String>, PathBuf)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            rel.push(p.file_name().unwrap().to_str().unwrap().to_string());
            if p.is_dir() {
                walk(&p, rel, out);
            } else {
                out.push((rel.clone(), p.clone()));
            }
            rel.pop();
        }
    }
    let mut out = Vec::new();
    walk(&demo_lake(), &mut Vec::new(), &mut out);
    out
}

/// Upload the demo lake under `demo-lake/` of `store`.
fn upload_demo_lake(store: Arc<dyn ObjectStore>) {
    runtime().block_on(async {
        for (rel, file) in demo_files() {
            let key = ObjPath::from_iter(std::iter::once("demo-lake".to_string()).chain(rel));
            let bytes = std::fs::read(&file).unwrap();
            store
                .put(&key, PutPayload::from(bytes))
                .await
                .unwrap_or_else(|e| panic!("upload {}: {e}", file.display()));
        }
    });
}

fn create_bucket(moto: &Server, bucket: &str) {
    // moto does not check signatures.
    let status = http(moto.port, "PUT", &format!("/{bucket}"), &[]).unwrap();
    assert_eq!(status, 200, "create bucket {bucket}");
}

fn s3_store(moto: &Server, bucket: &str) -> Arc<dyn ObjectStore> {
    s3_store_at(&moto.url(), bucket)
}

fn s3_store_at(url: &str, bucket: &str) -> Arc<dyn ObjectStore> {
    Arc::new(
        AmazonS3Builder::new()
            .with_endpoint(url)
            .with_allow_http(true)
            .with_region("us-east-1")
            .with_bucket_name(bucket)
            .with_access_key_id("testing")
            .with_secret_access_key("testing")
            .build()
            .unwrap(),
    )
}

/// Create a container with a SharedKey-signed request (node's crypto: the
/// test already needs Node for Azurite).
fn create_container(azurite: &Server, container: &str) {
    let script = r#"
const http = require('http'), crypto = require('crypto');
const [port, account, key, container] = process.argv.slice(1);
const date = new Date().toUTCString(), version = '2021-08-06';
const path = `/${account}/${container}`;
const toSign = ['PUT', '', '', '', '', '', '', '', '', '', '', '',
  `x-ms-date:${date}\nx-ms-version:${version}`,
  `/${account}${path}\nrestype:container`].join('\n');
const sig = crypto.createHmac('sha256', Buffer.from(key, 'base64')).update(toSign, 'utf8').digest('base64');
const req = http.request({ host: '127.0.0.1', port, method: 'PUT', path: `${path}?restype=container`,
  headers: { 'x-ms-date': date, 'x-ms-version': version, 'Content-Length': 0,
             'Authorization': `SharedKey ${account}:${sig}` } }, res => {
  let body = ''; res.on('data', d => body += d);
  res.on('end', () => { if (res.statusCode !== 201) { console.error(res.statusCode, body); process.exit(1); } });
});
req.on('error', e => { console.error(e.message); process.exit(1); });
req.end();
"#;
    let o = Command::new("node")
        .arg("-e")
        .arg(script)
        .arg(azurite.port.to_string())
        .arg(AZURITE_ACCOUNT)
        .arg(AZURITE_KEY)
        .arg(container)
        .output()
        .expect("run node");
    assert!(o.status.success(), "create container: {}", stderr(&o));
}

fn azure_store(azurite: &Server, container: &str) -> Arc<dyn ObjectStore> {
    Arc::new(
        MicrosoftAzureBuilder::new()
            .with_endpoint(format!("{}/{AZURITE_ACCOUNT}", azurite.url()))
            .with_allow_http(true)
            .with_account(AZURITE_ACCOUNT)
            .with_access_key(AZURITE_KEY)
            .with_container_name(container)
            .build()
            .unwrap(),
    )
}

/// What must not depend on where the lake is stored: per dataset (path
/// relative to the root) its format, status, counts and version, and every
/// finding with its sample counts.
#[derive(Debug, PartialEq, Eq)]
struct Results {
    exit: Option<i32>,
    datasets: BTreeSet<String>,
    findings: BTreeSet<String>,
}

fn results(catalog: &Path, root: &str, exit: Option<i32>) -> Results {
    let rel = |r: &serde_json::Value| -> String {
        let uri = str_of(r, "dataset_uri");
        uri.strip_prefix(&format!("{root}/"))
            .unwrap_or_else(|| panic!("dataset outside the root {root}: {uri}"))
            .to_string()
    };
    let datasets = query(
        catalog,
        "SELECT dataset_uri, format, status, file_count, row_count, rows_skipped, bytes, \
         bytes_read, version, error FROM datasets",
    )
    .iter()
    .map(|r| {
        format!(
            "{} {} {} files={} rows={} skipped={} bytes={} read={} version={} error={}",
            rel(r),
            str_of(r, "format"),
            str_of(r, "status"),
            r["file_count"],
            r["row_count"],
            r["rows_skipped"],
            r["bytes"],
            r["bytes_read"],
            r["version"],
            r["error"],
        )
    })
    .collect();
    let findings = query(
        catalog,
        "SELECT dataset_uri, column_path, entity, sampled_values, matched_values, \
         validated_values FROM classifications",
    )
    .iter()
    .map(|r| {
        format!(
            "{} {} {} sampled={} matched={} validated={}",
            rel(r),
            str_of(r, "column_path"),
            str_of(r, "entity"),
            r["sampled_values"],
            r["matched_values"],
            r["validated_values"],
        )
    })
    .collect();
    Results {
        exit,
        datasets,
        findings,
    }
}

/// The local scan of the demo lake, once per test binary.
fn local_results() -> &'static Results {
    static LOCAL: OnceLock<Results> = OnceLock::new();
    LOCAL.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let catalog = dir.path().join("c");
        let o = scan(&catalog, &[&demo_lake()], &[]);
        assert!(
            matches!(o.status.code(), Some(0 | 3)),
            "local scan: {}",
            stderr(&o)
        );
        results(&catalog, &uri_of(&demo_lake()), o.status.code())
    })
}

fn scan_remote(env: &[(String, String)], root: &str) -> Results {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("c");
    let o = run_with(
        env,
        &[
            "scan",
            "--quiet",
            "--catalog",
            catalog.to_str().unwrap(),
            root,
        ],
    );
    assert!(
        matches!(o.status.code(), Some(0 | 3)),
        "scan {root}: {}{}",
        stdout(&o),
        stderr(&o)
    );
    results(&catalog, root, o.status.code())
}

fn assert_same(remote: &Results, root: &str) {
    let local = local_results();
    assert!(
        local.findings.len() > 20,
        "the demo lake should give findings"
    );
    let diff = |a: &BTreeSet<String>, b: &BTreeSet<String>| -> Vec<String> {
        a.symmetric_difference(b).cloned().collect()
    };
    assert_eq!(
        remote.datasets,
        local.datasets,
        "datasets differ between {root} and the local lake: {:#?}",
        diff(&remote.datasets, &local.datasets)
    );
    assert_eq!(
        remote.findings,
        local.findings,
        "findings differ between {root} and the local lake: {:#?}",
        diff(&remote.findings, &local.findings)
    );
    assert_eq!(remote.exit, local.exit, "exit code of the {root} scan");
    // The Delta table was read through the remote store, at its version.
    assert!(
        remote
            .datasets
            .iter()
            .any(|d| d.starts_with("delta/customers_delta delta ok") && d.contains(" version=1 ")),
        "{:#?}",
        remote.datasets
    );
}

#[test]
fn demo_lake_on_s3_gives_the_local_findings() {
    let moto = start_moto();
    create_bucket(&moto, "lake");
    upload_demo_lake(s3_store(&moto, "lake"));
    let root = "s3://lake/demo-lake";
    let remote = scan_remote(&s3_env(&moto), root);
    assert_same(&remote, root);
}

#[test]
fn demo_lake_on_azurite_gives_the_local_findings() {
    let azurite = start_azurite();
    create_container(&azurite, "lake");
    upload_demo_lake(azure_store(&azurite, "lake"));
    let root = format!("abfss://lake@{AZURITE_ACCOUNT}.dfs.core.windows.net/demo-lake");
    let remote = scan_remote(&azure_env(&azurite), &root);
    assert_same(&remote, &root);
}

/// A scan that stops with exit code `code` and one line on stderr naming
/// `uri` (1: the store failed; 2: configuration, e.g. no credentials).
fn assert_one_line_failure(o: &Output, code: i32, uri: &str, words: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "{}{err}", stdout(o));
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected: {err}");
    assert!(lines[0].contains(uri), "{err}");
    for w in words {
        assert!(lines[0].contains(w), "{w:?} missing: {err}");
    }
}

#[test]
fn missing_bucket_missing_credentials_and_wrong_key_fail_in_one_line() {
    let moto = start_moto();
    let azurite = start_azurite();
    create_container(&azurite, "lake");
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c");
    let c = c.to_str().unwrap();

    let o = run_with(
        &s3_env(&moto),
        &["scan", "--quiet", "--catalog", c, "s3://no-such-bucket/x"],
    );
    // object_store reports a 404 / 403 on listing as a generic error
    // (`storage error: … 404 …`), not as not-found / access denied.
    assert_one_line_failure(&o, 1, "s3://no-such-bucket/x", &["404"]);

    let o = run_with(&[], &["scan", "--quiet", "--catalog", c, "s3://lake/x"]);
    assert_one_line_failure(&o, 2, "s3://lake/x", &["no S3 credentials", "AWS_PROFILE"]);

    let uri = format!("abfss://lake@{AZURITE_ACCOUNT}.dfs.core.windows.net/x");
    let o = run_with(&[], &["scan", "--quiet", "--catalog", c, &uri]);
    assert_one_line_failure(&o, 2, &uri, &["no Azure credentials"]);

    let mut env = azure_env(&azurite);
    env.push((
        "AZURE_STORAGE_ACCOUNT_KEY".into(),
        // Valid base64, wrong key: Azurite checks SharedKey signatures.
        "d3JvbmctZGV2LWtleS13cm9uZy1kZXYta2V5LXdyb25nLWRldi1rZXk=".into(),
    ));
    let o = run_with(&env, &["scan", "--quiet", "--catalog", c, &uri]);
    assert_one_line_failure(&o, 1, &uri, &["403"]);

    let missing = format!("abfss://nope@{AZURITE_ACCOUNT}.dfs.core.windows.net/x");
    let o = run_with(
        &azure_env(&azurite),
        &["scan", "--quiet", "--catalog", c, &missing],
    );
    assert_one_line_failure(&o, 1, &missing, &["404"]);
}

/// `lakewarden ingest access-logs s3://…`: log objects are listed and read
/// through the same store seam as scans, and re-ingesting adds nothing.
#[test]
fn access_logs_ingest_from_s3() {
    let moto = start_moto();
    create_bucket(&moto, "corp-logs");
    let store = s3_store(&moto, "corp-logs");
    let logs = repo().join("fixtures/audit/s3-access");
    runtime().block_on(async {
        for name in ["2024-05-01-access.log", "2024-05-02-access.log"] {
            let bytes = std::fs::read(logs.join(name)).unwrap();
            let key = ObjPath::from_iter(["s3-access".to_string(), name.to_string()]);
            store.put(&key, PutPayload::from(bytes)).await.unwrap();
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("catalog");
    let env = s3_env(&moto);
    let ingest = |extra: &str| {
        let summary = dir.path().join(format!("summary-{extra}.json"));
        let o = run_with(
            &env,
            &[
                "ingest",
                "access-logs",
                "s3://corp-logs/s3-access/",
                "--format",
                "s3",
                "--catalog",
                catalog.to_str().unwrap(),
                "--summary-json",
                summary.to_str().unwrap(),
                "-q",
            ],
        );
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let s: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(summary).unwrap()).unwrap();
        s
    };
    let first = ingest("1");
    assert_eq!(first["files_ingested"], 2);
    assert_eq!(first["rows"], 411);
    let uris: Vec<&str> = first["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["uri"].as_str().unwrap())
        .collect();
    assert_eq!(
        uris,
        [
            "s3://corp-logs/s3-access/2024-05-01-access.log",
            "s3://corp-logs/s3-access/2024-05-02-access.log"
        ]
    );
    let again = ingest("2");
    assert_eq!(again["files_unchanged"], 2);
    assert_eq!(again["rows"], 0);
}

/// Overwrite `key` of `bucket` on the S3 server at `url` (a signed PUT
/// straight to the server, not through any proxy).
fn s3_put(url: &str, bucket: &str, key: &str, body: Vec<u8>) {
    let store = s3_store_at(url, bucket);
    runtime()
        .block_on(store.put(&ObjPath::from(key), PutPayload::from(body)))
        .unwrap_or_else(|e| panic!("put {key}: {e}"));
}

/// moto with the demo lake under `s3://lake/demo-lake`, and a proxy in front.
fn moto_with_demo_lake(faults: Faults) -> (Server, Proxy, Vec<(String, String)>) {
    let moto = start_moto();
    create_bucket(&moto, "lake");
    upload_demo_lake(s3_store(&moto, "lake"));
    let proxy = Proxy::start(moto.port, faults);
    let mut env = s3_env(&moto);
    for (k, v) in env.iter_mut() {
        if k == "AWS_ENDPOINT" {
            *v = proxy.url();
        }
    }
    (moto, proxy, env)
}

/// Requests that read an object's bytes or metadata (not listings, not the
/// root probe).
fn object_reads(seen: &[Seen]) -> Vec<String> {
    seen.iter()
        .filter(|s| (s.method == "GET" || s.method == "HEAD") && !s.target.contains('?'))
        .filter(|s| s.target.starts_with("/lake/demo-lake/"))
        .map(|s| format!("{} {}", s.method, s.target))
        .collect()
}

fn scan_summary_with(
    env: &[(String, String)],
    catalog: &Path,
    root: &str,
) -> (Output, serde_json::Value) {
    let summary = catalog.with_extension(format!("{}.json", std::process::id()));
    let o = run_with(
        env,
        &[
            "scan",
            "--quiet",
            "--catalog",
            catalog.to_str().unwrap(),
            "--summary-json",
            summary.to_str().unwrap(),
            root,
        ],
    );
    let s = serde_json::from_slice(&std::fs::read(&summary).unwrap_or_default())
        .unwrap_or(serde_json::Value::Null);
    (o, s)
}

#[test]
fn requests_per_store_bounds_the_requests_in_flight() {
    let (_moto, proxy, env) = moto_with_demo_lake(Faults::default());
    let root = "s3://lake/demo-lake";
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("c");
    let o = run_with(
        &env,
        &[
            "scan",
            "--quiet",
            "--catalog",
            catalog.to_str().unwrap(),
            "--concurrency",
            "8",
            "--requests-per-store",
            "2",
            root,
        ],
    );
    assert!(matches!(o.status.code(), Some(0 | 3)), "{}", stderr(&o));
    let reads = object_reads(&proxy.take());
    assert!(reads.len() > 20, "the scan read the lake: {}", reads.len());
    let max = proxy.max_in_flight();
    assert!((1..=2).contains(&max), "{max} requests in flight at once");
    assert_same(&results(&catalog, root, o.status.code()), root);
}

#[test]
fn s3_scan_through_503s_and_dropped_connections_gives_the_local_findings() {
    let (_moto, proxy, env) = moto_with_demo_lake(Faults {
        status_503_every: 4,
        drop_every: 7,
    });
    let root = "s3://lake/demo-lake";
    let remote = scan_remote(&env, root);
    let seen = proxy.take();
    let count = |f: &str| seen.iter().filter(|s| s.fault == Some(f)).count();
    assert!(
        count("503") >= 3 && count("drop") >= 3,
        "faults injected: {} 503s, {} drops of {} requests",
        count("503"),
        count("drop"),
        seen.len()
    );
    assert_same(&remote, root);
}

#[test]
fn s3_rescan_of_an_unchanged_lake_reads_no_object_and_a_changed_one_only_its_own() {
    let (moto, proxy, env) = moto_with_demo_lake(Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("c");
    let root = "s3://lake/demo-lake";
    let (o, first) = scan_summary_with(&env, &catalog, root);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let first_seen = proxy.take();
    assert!(object_reads(&first_seen).len() > 20, "{first_seen:?}");
    let datasets = first["datasets_scanned"].as_u64().unwrap()
        + first["datasets_unsupported"].as_u64().unwrap();

    let (o, second) = scan_summary_with(&env, &catalog, root);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let second_seen = proxy.take();
    assert_eq!(object_reads(&second_seen), Vec::<String>::new());
    assert_eq!(
        second["datasets_skipped"].as_u64(),
        Some(datasets),
        "{second}"
    );
    assert_eq!(second["bytes_read"].as_u64(), Some(0));
    eprintln!(
        "S3 re-scan of the unchanged demo lake: {} requests vs {} for the first scan ({:.1} %), 0 object reads",
        second_seen.len(),
        first_seen.len(),
        100.0 * second_seen.len() as f64 / first_seen.len() as f64
    );

    // One object changes: only it is read again.
    let key = "/lake/demo-lake/crm/contacts_gb.csv";
    let mut csv = std::fs::read(demo_lake().join("crm/contacts_gb.csv")).unwrap();
    csv.extend_from_slice(b"Ada Lovelace,ada.lovelace@example.org,,,,\n");
    s3_put(&moto.url(), "lake", "demo-lake/crm/contacts_gb.csv", csv);
    let (o, third) = scan_summary_with(&env, &catalog, root);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let reads = object_reads(&proxy.take());
    assert!(!reads.is_empty());
    assert!(
        reads.iter().all(|r| r.ends_with(key)),
        "only the changed object is read: {reads:?}"
    );
    assert_eq!(third["datasets_scanned"].as_u64(), Some(1), "{third}");
}

#[test]
fn s3_object_changed_between_listing_and_reading_fails_only_its_dataset() {
    let (moto, proxy, env) = moto_with_demo_lake(Faults::default());
    let changed = [
        "/lake/demo-lake/crm/kunden_de.csv",
        "/lake/demo-lake/customers_us.parquet",
    ];
    let moto_url = moto.url();
    let mut done = BTreeSet::new();
    proxy.before_forward(move |method, target| {
        // The first read of each: overwrite the object just before it (with
        // another valid file of its format).
        if method == "GET" && changed.contains(&target) && done.insert(target.to_string()) {
            let bytes = if target.ends_with(".csv") {
                let mut csv = std::fs::read(demo_lake().join("crm/kunden_de.csv")).unwrap();
                csv.extend_from_slice(b"\n");
                csv
            } else {
                std::fs::read(demo_lake().join("misc/dates.parquet")).unwrap()
            };
            s3_put(&moto_url, "lake", &target["/lake/".len()..], bytes);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("c");
    let root = "s3://lake/demo-lake";
    let (o, summary) = scan_summary_with(&env, &catalog, root);
    assert_eq!(o.status.code(), Some(3), "{}{}", stdout(&o), stderr(&o));
    let failed = query(
        &catalog,
        "SELECT dataset_uri, error FROM datasets WHERE status = 'error' ORDER BY 1",
    );
    let uris: Vec<&str> = failed.iter().map(|r| str_of(r, "dataset_uri")).collect();
    assert_eq!(
        uris,
        [
            "s3://lake/demo-lake/crm/kunden_de.csv",
            "s3://lake/demo-lake/customers_us.parquet"
        ],
        "{summary}"
    );
    for r in &failed {
        assert!(
            str_of(r, "error").contains("changed between listing and reading"),
            "{r}"
        );
    }
    let none = query(
        &catalog,
        "SELECT COUNT(*) AS n FROM classifications c JOIN datasets d ON c.dataset_uri = d.dataset_uri WHERE d.status = 'error'",
    );
    assert_eq!(none[0]["n"], 0, "nothing classified from mixed versions");
    // The next run reads them again, at their new versions.
    let (o, again) = scan_summary_with(&env, &catalog, root);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(again["datasets_scanned"].as_u64(), Some(2), "{again}");
}

/// AWS shared files in a temp folder, and the environment that points the
/// binary at them through the proxy: `env` without keys or a region.
struct AwsFiles {
    _dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

fn aws_files(env: &[(String, String)], config: &str, credentials: &str) -> AwsFiles {
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("config");
    let credentials_path = dir.path().join("credentials");
    std::fs::write(&config_path, config).unwrap();
    std::fs::write(&credentials_path, credentials).unwrap();
    let mut env: Vec<(String, String)> = env
        .iter()
        .filter(|(k, _)| {
            !k.starts_with("AWS_ACCESS_KEY") && !k.starts_with("AWS_SECRET") && k != "AWS_REGION"
        })
        .cloned()
        .collect();
    env.push(("AWS_CONFIG_FILE".into(), config_path.display().to_string()));
    env.push((
        "AWS_SHARED_CREDENTIALS_FILE".into(),
        credentials_path.display().to_string(),
    ));
    AwsFiles { _dir: dir, env }
}

fn with(env: &[(String, String)], k: &str, v: &str) -> Vec<(String, String)> {
    let mut env = env.to_vec();
    env.push((k.into(), v.into()));
    env
}

/// Requests for the lake bucket (S3, not STS).
fn s3_requests(seen: &[Seen]) -> Vec<&Seen> {
    seen.iter()
        .filter(|s| s.action.is_none() && s.target.starts_with("/lake"))
        .collect()
}

/// The access key ids that signed the S3 requests among `seen`.
fn s3_signing_keys(seen: &[Seen]) -> BTreeSet<Option<String>> {
    s3_requests(seen).iter().map(|s| s.key_id.clone()).collect()
}

/// `AWS_PROFILE=reader`, a role assumed from the `base` profile's static
/// keys: one AssumeRole POST signed with the base key, every S3 request
/// signed with the key STS handed out, and the local findings.
#[test]
fn s3_profile_assuming_a_role_gives_the_local_findings() {
    let (_moto, proxy, env) = moto_with_demo_lake(Faults::default());
    let files = aws_files(
        &env,
        "[profile reader]\n\
         role_arn = arn:aws:iam::123456789012:role/lake-reader\n\
         source_profile = base\n\
         role_session_name = lakewarden-e2e\n\
         region = us-east-1\n",
        "# the source profile's static keys\n\
         [base]\n\
         aws_access_key_id = AKIABASEPROFILE0001\n\
         aws_secret_access_key = base-profile-secret\n",
    );
    assert!(!files.env.iter().any(|(k, _)| k == "AWS_ACCESS_KEY_ID"));
    let env = with(&files.env, "AWS_PROFILE", "reader");
    proxy.take();
    let root = "s3://lake/demo-lake";
    let remote = scan_remote(&env, root);
    let seen = proxy.take();

    let assume: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.action.as_deref() == Some("AssumeRole"))
        .collect();
    assert_eq!(assume.len(), 1, "one AssumeRole per run: {assume:#?}");
    assert_eq!(assume[0].method, "POST");
    assert_eq!(assume[0].key_id.as_deref(), Some("AKIABASEPROFILE0001"));
    let assumed = assume[0]
        .answered_key_id
        .clone()
        .expect("moto answered AssumeRole with an AccessKeyId");
    assert!(
        assumed.starts_with("ASIA") || assumed.starts_with("FSIA"),
        "{assumed}"
    );
    let s3 = s3_requests(&seen);
    assert!(s3.len() > 20, "{s3:#?}");
    let keys: BTreeSet<Option<&str>> = s3.iter().map(|s| s.key_id.as_deref()).collect();
    assert_eq!(
        keys,
        BTreeSet::from([Some(assumed.as_str())]),
        "every S3 request is signed with the assumed role's key"
    );
    assert_same(&remote, root);
}

/// A named profile with static keys gives the local findings; a `[default]`
/// profile is used without AWS_PROFILE; an unknown profile and a failing
/// credential_process stop the scan in one line naming profile and URI,
/// never showing the process's output.
#[test]
fn s3_static_and_default_profiles_work_and_bad_profiles_fail_in_one_line() {
    let (_moto, proxy, env) = moto_with_demo_lake(Faults::default());
    let files = aws_files(
        &env,
        "[profile static-keys]\nregion = us-east-1\n\
         [profile broken]\ncredential_process = sh -c 'echo AKIALEAKED leaked-secret; exit 3'\n",
        "[static-keys]\n\
         aws_access_key_id = AKIASTATICPROFILE01\n\
         aws_secret_access_key = static-profile-secret\n\
         [default]\n\
         aws_access_key_id = AKIADEFAULTPROFILE1\n\
         aws_secret_access_key = default-profile-secret\n",
    );
    let root = "s3://lake/demo-lake";
    proxy.take();
    let remote = scan_remote(&with(&files.env, "AWS_PROFILE", "static-keys"), root);
    let seen = proxy.take();
    assert!(seen.iter().all(|s| s.action.is_none()), "no STS call");
    assert_eq!(
        s3_signing_keys(&seen),
        BTreeSet::from([Some("AKIASTATICPROFILE01".to_string())])
    );
    assert_same(&remote, root);

    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c");
    let c = c.to_str().unwrap();
    let crm = "s3://lake/demo-lake/crm";
    let o = run_with(&files.env, &["scan", "--quiet", "--catalog", c, crm]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        s3_signing_keys(&proxy.take()),
        BTreeSet::from([Some("AKIADEFAULTPROFILE1".to_string())])
    );

    // Fresh catalogs: no earlier state for the root to mention.
    let c = dir.path().join("c-nope");
    let o = run_with(
        &with(&files.env, "AWS_PROFILE", "nope"),
        &["scan", "--quiet", "--catalog", c.to_str().unwrap(), crm],
    );
    assert_one_line_failure(&o, 2, crm, &["AWS profile nope", "not found"]);

    let c = dir.path().join("c-broken");
    let o = run_with(
        &with(&files.env, "AWS_PROFILE", "broken"),
        &["scan", "--quiet", "--catalog", c.to_str().unwrap(), crm],
    );
    // Fetched before anything is written: a configuration error.
    assert_one_line_failure(
        &o,
        2,
        crm,
        &["AWS profile broken", "credential_process failed"],
    );
    assert!(!c.exists(), "no catalog is written");
    assert!(
        !stderr(&o).to_lowercase().contains("leaked"),
        "{}",
        stderr(&o)
    );

    // The estate config names a profile per root: it wins over [default].
    let estate = dir.path().join("estate.toml");
    std::fs::write(
        &estate,
        format!("[scan]\nroots = [{{ uri = \"{crm}\", profile = \"static-keys\" }}]\n"),
    )
    .unwrap();
    let c = dir.path().join("c-estate");
    let o = run_with(
        &files.env,
        &[
            "scan",
            "--quiet",
            "--catalog",
            c.to_str().unwrap(),
            "--config",
            estate.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        s3_signing_keys(&proxy.take()),
        BTreeSet::from([Some("AKIASTATICPROFILE01".to_string())])
    );
}

/// moto accepts any key; s3s-fs checks SigV4 signatures, so a wrong secret
/// is refused: one line naming the URI, exit 1, nothing scanned — and the
/// right one reads the lake.
#[test]
fn s3_wrong_secret_is_refused_by_a_signature_checking_server() {
    let data = tempfile::tempdir().unwrap();
    let bucket = data.path().join("lake/crm");
    std::fs::create_dir_all(&bucket).unwrap();
    std::fs::copy(
        demo_lake().join("crm/contacts_gb.csv"),
        bucket.join("contacts_gb.csv"),
    )
    .unwrap();
    let root_dir = data.path().to_str().unwrap().to_string();
    let server = Server::start(
        &installed().s3s_fs,
        &[
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--access-key",
            "lakewarden-test-key",
            "--secret-key",
            "lakewarden-test-secret",
            &root_dir,
        ],
    );
    let env = |secret: &str| -> Vec<(String, String)> {
        vec![
            ("AWS_ENDPOINT".into(), server.url()),
            ("AWS_ALLOW_HTTP".into(), "true".into()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID".into(), "lakewarden-test-key".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), secret.into()),
        ]
    };
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c");
    let c = c.to_str().unwrap();
    let uri = "s3://lake/crm";
    let o = run_with(
        &env("not-the-secret"),
        &["scan", "--quiet", "--catalog", c, uri],
    );
    assert_one_line_failure(&o, 1, uri, &["403"]);
    assert!(!stderr(&o).contains("not-the-secret"), "{}", stderr(&o));

    let o = run_with(
        &env("lakewarden-test-secret"),
        &["scan", "--quiet", "--catalog", c, uri],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let found = query(
        Path::new(c),
        "SELECT entity FROM classifications WHERE dataset_uri = 's3://lake/crm/contacts_gb.csv'",
    );
    assert!(
        found.iter().any(|r| str_of(r, "entity") == "EMAIL_ADDRESS"),
        "{found:?}"
    );
}

#[test]
fn s3_delta_commit_reads_only_the_added_file() {
    let (moto, proxy, env) = moto_with_demo_lake(Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("c");
    let root = "s3://lake/demo-lake";
    let (o, _) = scan_summary_with(&env, &catalog, root);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let table = "/lake/demo-lake/delta/customers_delta/";
    let data_reads = |seen: &[Seen]| -> BTreeSet<String> {
        object_reads(seen)
            .into_iter()
            .filter(|r| r.contains(table) && r.ends_with(".parquet"))
            .map(|r| r.rsplit('/').next().unwrap().to_string())
            .collect()
    };
    let first = data_reads(&proxy.take());
    assert_eq!(first.len(), 2, "both data files read at first: {first:?}");

    // A writer appends a file (the same rows under a new name) in version 2.
    let src = demo_lake().join("delta/customers_delta");
    let part = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "parquet"))
        .unwrap();
    let bytes = std::fs::read(&part).unwrap();
    let name = "part-00002-appended-c000.snappy.parquet";
    let add = serde_json::json!({"add": {"path": name, "partitionValues": {},
        "size": bytes.len(), "modificationTime": 1717416000000i64, "dataChange": true}});
    let commit = format!(
        "{}\n{}\n",
        serde_json::json!({"commitInfo": {"timestamp": 1717416000000i64, "operation": "WRITE"}}),
        add
    );
    let prefix = "demo-lake/delta/customers_delta";
    s3_put(&moto.url(), "lake", &format!("{prefix}/{name}"), bytes);
    s3_put(
        &moto.url(),
        "lake",
        &format!("{prefix}/_delta_log/00000000000000000002.json"),
        commit.into_bytes(),
    );
    let (o, second) = scan_summary_with(&env, &catalog, root);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(second["datasets_scanned"].as_u64(), Some(1), "{second}");
    let reads = data_reads(&proxy.take());
    assert_eq!(
        reads,
        BTreeSet::from([name.to_string()]),
        "only the new file"
    );
    let uri = "s3://lake/demo-lake/delta/customers_delta";
    let row = query(
        &catalog,
        &format!("SELECT version, notes FROM datasets WHERE dataset_uri = '{uri}'"),
    );
    assert_eq!(row[0]["version"], 2);
    assert!(
        str_of(&row[0], "notes").contains("1 of 3 files read"),
        "{row:?}"
    );
}
