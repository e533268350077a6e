//! Test group `llm`: sampled LLM checks against a REAL local model
//! (Qwen2.5-Coder-0.5B through scripts/llm-server.mjs), never a mock.
//!
//! `scripts/llm-server.sh install` installs the runtime and the model once
//! (cached outside the work tree); the first test to need the server starts
//! one on a free port of 127.0.0.1 for the whole test binary (it exits with
//! the binary: `--exit-with-parent`). The tests take a lock and run one at a
//! time: the model has one core, and timings mean something only alone.
//!
//! Bad endpoints are produced by a small fault-injecting proxy in front of
//! the real server (HTTP 429 / 500, prose around the real reply, an entity
//! that does not exist, no answer at all).

use crate::proxy::read_request;
use crate::util::*;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// One llm test at a time.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// The URL (`http://127.0.0.1:PORT/v1`) of the shared real model server.
fn model_url() -> &'static str {
    // The child is kept (never waited for): it outlives every test and
    // exits on its own once this process is gone.
    static SERVER: OnceLock<(String, Mutex<std::process::Child>)> = OnceLock::new();
    &SERVER
        .get_or_init(|| {
            let o = Command::new("bash")
                .arg(repo().join("scripts/llm-server.sh"))
                .arg("install")
                .stdin(Stdio::null())
                .output()
                .expect("run scripts/llm-server.sh");
            assert!(
                o.status.success(),
                "scripts/llm-server.sh install failed:\n{}",
                stderr(&o)
            );
            let out = stdout(&o);
            let get = |k: &str| -> String {
                out.lines()
                    .find_map(|l| l.strip_prefix(&format!("{k}=")))
                    .unwrap_or_else(|| panic!("llm-server.sh printed no {k}: {out}"))
                    .to_string()
            };
            let mut child = Command::new(get("LLM_NODE"))
                .arg(get("LLM_SERVER_JS"))
                .args(["--lib", &get("LLM_LIB"), "--model", &get("LLM_MODEL")])
                .args(["--host", "127.0.0.1", "--port", "0", "--threads", "1"])
                .args(["--exit-with-parent", &std::process::id().to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("start the model server");
            let mut line = String::new();
            BufReader::new(child.stdout.take().unwrap())
                .read_line(&mut line)
                .expect("read the server's first line");
            let base = line
                .trim()
                .strip_prefix("listening ")
                .unwrap_or_else(|| panic!("unexpected first line from the server: {line:?}"))
                .to_string();
            let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();
            let deadline = Instant::now() + Duration::from_secs(120);
            while get_status(port, "/health") != Some(200) {
                assert!(
                    Instant::now() < deadline,
                    "the model server did not load within 120 s"
                );
                std::thread::sleep(Duration::from_millis(200));
            }
            (format!("{base}/v1"), Mutex::new(child))
        })
        .0
}

fn get_status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    buf.split_whitespace().nth(1)?.parse().ok()
}

fn ambiguous_lake() -> PathBuf {
    repo().join("fixtures/ambiguous-lake")
}

/// (dataset path relative to the lake, column_path, entity, method) of every finding.
type Found = BTreeSet<(String, String, String, String)>;

fn findings(catalog: &Path, lake: &Path) -> Found {
    let prefix = format!("{}/", uri_of(lake));
    query(
        catalog,
        "SELECT dataset_uri, column_path, entity, method FROM classifications",
    )
    .iter()
    .map(|r| {
        (
            str_of(r, "dataset_uri")
                .trim_start_matches(&prefix)
                .to_string(),
            str_of(r, "column_path").to_string(),
            str_of(r, "entity").to_string(),
            str_of(r, "method").to_string(),
        )
    })
    .collect()
}

struct Scanned {
    output: Output,
    summary: serde_json::Value,
    found: Found,
    seconds: f64,
}

fn scan_lake(catalog: &Path, lake: &Path, extra: &[&str]) -> Scanned {
    let summary_path = catalog.with_extension("summary.json");
    let mut args = vec!["--summary-json", summary_path.to_str().unwrap()];
    args.extend_from_slice(extra);
    let started = Instant::now();
    let mut cmd_args = vec!["scan", "--catalog", catalog.to_str().unwrap()];
    cmd_args.push(lake.to_str().unwrap());
    cmd_args.extend_from_slice(&args);
    let output = run(&cmd_args);
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(
        output.status.code(),
        Some(0),
        "scan {extra:?} should exit 0:\n{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary_path).unwrap()).unwrap();
    Scanned {
        found: findings(catalog, lake),
        output,
        summary,
        seconds,
    }
}

/// The rule-based findings of the ambiguous lake (`--llm off`), computed once.
fn rule_findings() -> &'static Found {
    static OFF: OnceLock<Found> = OnceLock::new();
    OFF.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let s = scan_lake(
            &dir.path().join("cat"),
            &ambiguous_lake(),
            &["--llm", "off"],
        );
        assert!(s.summary.get("llm").is_none(), "no llm section when off");
        s.found
    })
}

/// The notes the scan printed on stderr (one line each).
fn notes(o: &Output) -> Vec<String> {
    stderr(o)
        .lines()
        .filter(|l| l.starts_with("lakewarden: note: "))
        .map(str::to_string)
        .collect()
}

/// Truth of the ambiguous lake: (dataset path, column_path, entity).
fn truth() -> BTreeSet<(String, String, String)> {
    let t: serde_json::Value = serde_json::from_slice(
        &std::fs::read(repo().join("fixtures/ambiguous-lake.truth.json")).unwrap(),
    )
    .unwrap();
    let mut out = BTreeSet::new();
    for d in t["datasets"].as_array().unwrap() {
        for c in d["columns"].as_array().unwrap() {
            for e in c["entities"].as_array().unwrap() {
                out.insert((
                    d["path"].as_str().unwrap().to_string(),
                    c["column_path"].as_str().unwrap().to_string(),
                    e.as_str().unwrap().to_string(),
                ));
            }
        }
    }
    out
}

fn precision_recall(found: &Found) -> (f64, f64, usize, usize, usize) {
    let truth = truth();
    let got: BTreeSet<_> = found
        .iter()
        .map(|(d, c, e, _)| (d.clone(), c.clone(), e.clone()))
        .collect();
    let tp = got.intersection(&truth).count();
    let fp = got.len() - tp;
    let fn_ = truth.len() - tp;
    let p = if got.is_empty() {
        1.0
    } else {
        tp as f64 / got.len() as f64
    };
    (p, tp as f64 / truth.len() as f64, tp, fp, fn_)
}

#[test]
fn llm_scan_asks_the_local_model_then_answers_from_the_cache() {
    let _g = serial();
    let url = model_url();
    let off = rule_findings();
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("cat");

    let first = scan_lake(&cat, &ambiguous_lake(), &["--llm", url]);
    let l = &first.summary["llm"];
    let calls = l["model_calls"].as_u64().unwrap();
    let escalated = l["escalated_columns"].as_u64().unwrap();
    assert!(calls > 0, "the ambiguous lake escalates columns: {l}");
    assert_eq!(calls, escalated, "every escalated column was asked: {l}");
    assert_eq!(
        l["answered"].as_u64(),
        Some(calls),
        "every call answered: {l}"
    );
    assert_eq!(l["cache_hits"].as_u64(), Some(0));
    assert!(
        l["prompt_tokens"].as_u64().unwrap() > 0 && l["completion_tokens"].as_u64().unwrap() > 0
    );
    assert!(notes(&first.output).is_empty(), "{}", stderr(&first.output));
    assert!(
        stdout(&first.output).contains(&format!(
            "llm: {escalated} escalated, {calls} model calls, 0 cache hits"
        )),
        "{}",
        stdout(&first.output)
    );
    // The model's answers are cached in the catalog, one per question.
    let cached = query(
        &cat,
        "SELECT cache_key, entity, confidence, reason, model FROM llm_answers",
    );
    assert_eq!(cached.len() as u64, calls);
    for r in &cached {
        assert!(str_of(r, "model").contains("qwen2.5-coder-0.5b"), "{r}");
        let c = r["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c));
    }
    // The model adds, it never takes away what a validator or a type settled;
    // what it added says method = llm and keeps its reason.
    for f in off.iter().filter(|f| f.3 == "validator" || f.3 == "type") {
        assert!(first.found.contains(f), "lost {f:?}");
    }
    for f in first.found.difference(off) {
        assert_eq!(
            f.3, "llm",
            "a finding only the model run has must be the model's: {f:?}"
        );
    }
    for r in query(
        &cat,
        "SELECT explanation FROM classifications WHERE method = 'llm'",
    ) {
        let e: serde_json::Value = serde_json::from_str(str_of(&r, "explanation")).unwrap();
        assert!(
            e["llm"]["reason"].is_string() && e["llm"]["trigger"].is_string(),
            "{e}"
        );
        assert_eq!(e["llm"]["cached"], false);
    }

    // A re-read of the unchanged lake never calls the model again: the
    // answers come from the cache (`--rescan`: read although unchanged).
    let second = scan_lake(&cat, &ambiguous_lake(), &["--llm", url, "--rescan"]);
    let l2 = &second.summary["llm"];
    assert_eq!(l2["model_calls"].as_u64(), Some(0), "{l2}");
    assert_eq!(l2["requests"].as_u64(), Some(0), "{l2}");
    assert_eq!(l2["cache_hits"].as_u64(), Some(calls), "{l2}");
    assert_eq!(
        second.found, first.found,
        "cached answers give the same findings"
    );
    assert!(
        stdout(&second.output).contains(&format!(
            "llm: {escalated} escalated, 0 model calls, {calls} cache hits"
        )),
        "{}",
        stdout(&second.output)
    );

    // A plain nightly re-scan of the unchanged lake does not even read it.
    let third = scan_lake(&cat, &ambiguous_lake(), &["--llm", url]);
    assert_eq!(third.summary["datasets_scanned"], 0, "{}", third.summary);
    assert!(third.summary["datasets_skipped"].as_u64().unwrap() > 0);
    assert_eq!(third.summary["llm"]["requests"].as_u64(), Some(0));
    assert_eq!(
        third.found, first.found,
        "skipped datasets keep their findings"
    );

    // The measured value (issue 7): precision / recall on the ambiguous
    // columns with and without the model, and what the model cost.
    let (p0, r0, tp0, fp0, fn0) = precision_recall(off);
    let (p1, r1, tp1, fp1, fn1) = precision_recall(&first.found);
    eprintln!(
        "ambiguous lake: --llm off P={p0:.2} R={r0:.2} (tp {tp0}, fp {fp0}, fn {fn0}); \
local 0.5B model P={p1:.2} R={r1:.2} (tp {tp1}, fp {fp1}, fn {fn1}); \
{calls} calls, {} prompt + {} completion tokens, {:.1} s in the model, scan {:.1} s; cached re-scan {:.1} s",
        l["prompt_tokens"], l["completion_tokens"], l["model_seconds"].as_f64().unwrap(),
        first.seconds, second.seconds
    );
}

#[test]
fn llm_budget_zero_keeps_rule_results_and_says_so() {
    let _g = serial();
    let url = model_url();
    let dir = tempfile::tempdir().unwrap();
    let s = scan_lake(
        &dir.path().join("cat"),
        &ambiguous_lake(),
        &["--llm", url, "--llm-budget", "0"],
    );
    let l = &s.summary["llm"];
    assert_eq!(l["model_calls"].as_u64(), Some(0), "{l}");
    assert_eq!(l["requests"].as_u64(), Some(0), "{l}");
    assert!(l["skipped_budget"].as_u64().unwrap() > 0, "{l}");
    assert_eq!(&s.found, rule_findings());
    let n = notes(&s.output);
    assert_eq!(n.len(), 1, "{n:?}");
    assert!(n[0].contains("budget spent"), "{n:?}");
}

#[test]
fn llm_endpoint_down_keeps_rule_results_and_says_so() {
    let _g = serial();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}/v1");
    let s = scan_lake(&dir.path().join("cat"), &ambiguous_lake(), &["--llm", &url]);
    assert_eq!(&s.found, rule_findings());
    let n = notes(&s.output);
    assert_eq!(n.len(), 1, "{n:?}");
    assert!(n[0].contains("unreachable") && n[0].contains(&url), "{n:?}");
    assert!(
        s.seconds < 60.0,
        "a dead endpoint must not stall the scan ({:.1} s)",
        s.seconds
    );
}

#[test]
fn llm_bad_endpoints_and_raw_samples_are_usage_errors() {
    let _g = serial();
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("cat");
    let lake = ambiguous_lake();
    for (args, words) in [
        (vec!["--llm", "ftp://127.0.0.1/v1"], vec!["http"]),
        (vec!["--llm", "not a url"], vec!["not a URL"]),
        (
            vec!["--llm", "https://llm.example.com/v1", "--llm-raw-samples"],
            vec!["raw samples", "--llm-allow-raw-remote"],
        ),
    ] {
        let mut a = vec![
            "scan",
            "--quiet",
            "--catalog",
            cat.to_str().unwrap(),
            lake.to_str().unwrap(),
        ];
        a.extend_from_slice(&args);
        let o = run(&a);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: one line: {err}");
        for w in words {
            assert!(err.contains(w), "{args:?}: {err}");
        }
    }
}

/// What the proxy does to `POST /v1/chat/completions` (everything else
/// passes through to the real server).
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Answers 429 itself.
    TooMany,
    /// Answers 500 itself.
    ServerError,
    /// Forwards, then wraps the real reply in prose.
    Prose,
    /// Forwards, then renames the real reply's entity to one that does not exist.
    UnknownEntity,
    /// Accepts the request and never answers.
    Silent,
}

/// A fault-injecting HTTP proxy in front of the real model server, on its
/// own thread for the rest of the test binary.
fn start_proxy(upstream: &str, fault: Fault) -> String {
    let upstream_port: u16 = upstream
        .trim_end_matches("/v1")
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = serve(conn, upstream_port, fault);
            });
        }
    });
    format!("http://127.0.0.1:{port}/v1")
}

fn respond(s: &mut TcpStream, status: &str, body: &str) -> std::io::Result<()> {
    write!(
        s,
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn serve(mut s: TcpStream, upstream: u16, fault: Fault) -> std::io::Result<()> {
    let (head, body) = read_request(&mut s)?;
    let request_line = head.lines().next().unwrap_or_default().to_string();
    let is_chat = request_line.starts_with("POST ") && request_line.contains("/chat/completions");
    if is_chat {
        match fault {
            Fault::TooMany => {
                return respond(&mut s, "429 Too Many Requests", r#"{"error":"slow down"}"#)
            }
            Fault::ServerError => {
                return respond(&mut s, "500 Internal Server Error", r#"{"error":"boom"}"#)
            }
            Fault::Silent => {
                std::thread::sleep(Duration::from_secs(30));
                return Ok(());
            }
            Fault::Prose | Fault::UnknownEntity => {}
        }
    }
    // Forward to the real server.
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let method = request_line.split_whitespace().next().unwrap_or("GET");
    write!(
        up,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )?;
    up.write_all(&body)?;
    let mut reply = Vec::new();
    up.read_to_end(&mut reply)?;
    let text = String::from_utf8_lossy(&reply).into_owned();
    let (up_head, up_body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = up_head
        .lines()
        .next()
        .and_then(|l| l.split_once(' '))
        .map(|(_, s)| s.to_string())
        .unwrap_or_else(|| "502 Bad Gateway".into());
    if !is_chat {
        return respond(&mut s, &status, up_body);
    }
    let mut v: serde_json::Value = serde_json::from_str(up_body).unwrap_or_default();
    let content = v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mangled = match fault {
        Fault::Prose => {
            format!("Sure! Looking at the masked values, I would say: {content} Hope this helps.")
        }
        _ => {
            let mut a: serde_json::Value = serde_json::from_str(&content).unwrap_or_default();
            a["entity"] = "FAVOURITE_COLOUR".into();
            a.to_string()
        }
    };
    v["choices"][0]["message"]["content"] = mangled.into();
    respond(&mut s, &status, &v.to_string())
}

#[test]
fn llm_faults_keep_rule_results_exit_0_and_say_so_in_one_line() {
    let _g = serial();
    let url = model_url();
    let off = rule_findings();
    for (fault, extra, words) in [
        (Fault::TooMany, vec![], "HTTP 429"),
        (Fault::ServerError, vec![], "HTTP 500"),
        // A malformed reply is asked again once, then given up: budget 1
        // keeps the real model's time small.
        (
            Fault::Prose,
            vec!["--llm-budget", "1"],
            "no usable answer (the reply is not a JSON object)",
        ),
        (
            Fault::UnknownEntity,
            vec!["--llm-budget", "1"],
            "no usable answer (the reply names an entity that is not one of the labels)",
        ),
        (Fault::Silent, vec!["--llm-timeout", "2"], "timed out"),
    ] {
        let proxy = start_proxy(url, fault);
        let dir = tempfile::tempdir().unwrap();
        let mut args = vec!["--llm", proxy.as_str(), "--llm-retries", "1"];
        args.extend_from_slice(&extra);
        let s = scan_lake(&dir.path().join("cat"), &ambiguous_lake(), &args);
        assert_eq!(&s.found, off, "{fault:?}: rule-based results");
        let n = notes(&s.output);
        let l = &s.summary["llm"];
        assert!(
            n.iter().any(|x| x.contains(words) && x.contains(&proxy)),
            "{fault:?}: {n:?}"
        );
        assert_eq!(
            n.iter().filter(|x| !x.contains("budget spent")).count(),
            1,
            "{fault:?}: one line per kind of trouble: {n:?}"
        );
        assert_eq!(l["answered"].as_u64(), Some(0), "{fault:?}: {l}");
        let calls = l["model_calls"].as_u64().unwrap();
        let requests = l["requests"].as_u64().unwrap();
        match fault {
            // Retried once each, as --llm-retries 1 says.
            Fault::TooMany | Fault::ServerError => {
                assert!(calls > 0, "{fault:?}: {l}");
                assert_eq!(requests, 2 * calls, "{fault:?}: {l}");
            }
            // Asked once more after a malformed reply, then given up.
            Fault::Prose | Fault::UnknownEntity => {
                assert_eq!((calls, requests), (1, 2), "{fault:?}: {l}")
            }
            // Two timeouts and the endpoint counts as down for the run.
            Fault::Silent => assert_eq!((calls, requests), (2, 2), "{fault:?}: {l}"),
        }
        assert!(
            query(&dir.path().join("cat"), "SELECT cache_key FROM llm_answers").is_empty(),
            "{fault:?}: nothing cached without an answer"
        );
    }
}
