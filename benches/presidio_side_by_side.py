#!/usr/bin/env python3
"""lakewarden and Microsoft Presidio side by side on the demo lake.

Runs both tools over fixtures/demo-lake, scores each against
fixtures/demo-lake.truth.json and prints micro precision / recall / F1, a
per-entity F1 table and wall times, all from one run. This is a benchmark,
not a test. Nothing here asserts a number.

Usage:

    PY="$(scripts/python-env.sh scripts/requirements-presidio.txt)/bin/python"
    "$PY" benches/presidio_side_by_side.py [--lakewarden PATH] [--sample 200]
        [--min-hits 2] [--min-share 0] [--min-score 0.5] [--context both]
        [--enable UkNinoRecognizer ...] [--date-time-as-dob] [--details]
        [--json FILE]

The lakewarden binary is --lakewarden, else $LAKEWARDEN_BIN, else
<repo>/target/release/lakewarden, else <repo>/target/debug/lakewarden
(--wait SECONDS polls for it every 60 s while a build finishes).

How each side is run:

* lakewarden: `lakewarden scan LAKE --catalog TMP --quiet` with its defaults
  (sample mode, ~2,000 rows per dataset); exit code 0 or 3 is accepted. Its
  findings come from `lakewarden query --format json "SELECT dataset_uri,
  column_path, entity FROM classifications"`. The time is the scan's wall
  clock.
* Presidio: `AnalyzerEngine` with the built-in `no_op` NLP engine (no spaCy
  model is available offline), so only the pattern recognizers and their
  validators run; no NER, so no PERSON or LOCATION. The script reads every
  dataset of the truth file whose status is "ok" with pyarrow (CSV with the
  delimiter and encoding the truth file gives: Presidio has no reader of its
  own; JSON Lines, gzip or not, through json.loads so strings stay verbatim;
  Parquet files and folders, hive partitions included; Delta through
  deltalake's latest version). Nested fields become dot paths the way the
  truth file writes them (list elements add no segment; a field name holding
  '.' or '"' is double-quoted). Per column it draws a fixed, seeded sample of
  --sample non-null values (list elements count as values) and calls
  `analyzer.analyze(text=str(value), language="en")` on each.

Presidio's column decision rule (configurable):

* Per value, keep the results with score >= --min-score (0.5). Then resolve
  overlaps the way Presidio's own RecognizerResult.has_conflict does (what
  the anonymizer applies): going from the highest score down, a result that
  is contained in, or has the same span but a lower score than, a kept result
  is dropped. Without this every e-mail column is also a URL column
  (--keep-overlaps turns it off).
* The column holds Presidio entity P if at least --min-hits (2) sampled values
  kept a result of P and their share of the sample is >= --min-share (0: like
  lakewarden, sparse columns count).
* P is mapped to our name (PRESIDIO_TO_OURS; identical names map to
  themselves, US_PASSPORT / UK_PASSPORT to PASSPORT_NUMBER). Entities we do
  not have (DATE_TIME, UUID, US_BANK_NUMBER, US_DRIVER_LICENSE, CRYPTO, ...)
  are dropped and counted; --date-time-as-dob maps DATE_TIME to DATE_OF_BIRTH.

--context chooses the Presidio variants: "none" (values only), "column" (the
column path's words passed as `context=`, Presidio's documented way to give
context words; with no tokens from the no_op engine this is the only context
its enhancer sees), or "both" (default: two passes, both reported).

Scoring is the unit of tests/e2e/accuracy.rs: (dataset path, column_path,
entity) triples. A reported triple in the truth is a true positive, one not
in it a false positive, a truth triple not reported a false negative; micro
P/R/F1 over all triples. Two scores are printed: over all our entities
(entities Presidio has no recognizer for count as its false negatives), and
over the subset Presidio can report after mapping, the fairer comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

# The e-mail recognizer calls tldextract, which otherwise tries to download the
# public suffix list on first use (there is no network here) before falling
# back to the snapshot it ships. An empty URL list goes straight to the
# snapshot. Must be set before tldextract is imported.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

REPO = Path(__file__).resolve().parent.parent
DEFAULT_LAKE = REPO / "fixtures" / "demo-lake"
DEFAULT_TRUTH = REPO / "fixtures" / "demo-lake.truth.json"
DEFAULT_BINARIES = [
    REPO / "target" / "release" / "lakewarden",
    REPO / "target" / "debug" / "lakewarden",
]

# Our vocabulary (shared/ENTITIES.md, the core set).
OUR_ENTITIES = {
    "EMAIL_ADDRESS", "PHONE_NUMBER", "PERSON", "STREET_ADDRESS", "DATE_OF_BIRTH",
    "CREDIT_CARD", "IBAN_CODE", "US_SSN", "UK_NINO", "UK_NHS", "PASSPORT_NUMBER",
    "IP_ADDRESS", "MAC_ADDRESS", "GEO_COORDINATE", "URL", "AWS_ACCESS_KEY", "JWT",
    "MEDICAL_CODE",
}
# Presidio names that differ from ours. A Presidio entity that is neither one
# of OUR_ENTITIES nor listed here is dropped.
PRESIDIO_RENAMES = {
    "US_PASSPORT": "PASSPORT_NUMBER",
    "UK_PASSPORT": "PASSPORT_NUMBER",
}

Triple = tuple[str, str, str]  # (dataset path, column_path, entity)


# --------------------------------------------------------------------------
# Truth and scoring


@dataclass
class Truth:
    datasets: list[dict]  # the datasets with status "ok"
    positives: set[Triple]
    ignored: set[str]  # dataset paths with another status

    @property
    def paths(self) -> set[str]:
        return {d["path"] for d in self.datasets}


def load_truth(path: Path) -> Truth:
    """The truth file's "ok" datasets and their (path, column, entity) triples."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    datasets, positives, ignored = [], set(), set()
    for d in doc["datasets"]:
        if d.get("status", "ok") != "ok":
            ignored.add(d["path"])
            continue
        datasets.append(d)
        for c in d.get("columns", []):
            for e in c["entities"]:
                positives.add((d["path"], c["column_path"], e))
    return Truth(datasets, positives, ignored)


@dataclass
class Score:
    tp: int
    fp: int
    fn: int
    per_entity: dict[str, tuple[int, int, int]]
    false_positives: list[Triple]
    missed: list[Triple]

    @property
    def precision(self) -> float:
        return self.tp / max(self.tp + self.fp, 1)

    @property
    def recall(self) -> float:
        return self.tp / max(self.tp + self.fn, 1)

    @property
    def f1(self) -> float:
        return f1(self.tp, self.fp, self.fn)


def f1(tp: int, fp: int, fn: int) -> float:
    p = tp / max(tp + fp, 1)
    r = tp / max(tp + fn, 1)
    return 2 * p * r / (p + r) if p + r else 0.0


def score(found: set[Triple], truth: set[Triple], entities: set[str] | None = None) -> Score:
    """Micro counts over triples, optionally restricted to some entities."""
    if entities is not None:
        found = {t for t in found if t[2] in entities}
        truth = {t for t in truth if t[2] in entities}
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for t in found:
        per[t[2]][0 if t in truth else 1] += 1
    for t in truth - found:
        per[t[2]][2] += 1
    tp = sum(v[0] for v in per.values())
    fp = sum(v[1] for v in per.values())
    fn = sum(v[2] for v in per.values())
    return Score(tp, fp, fn, {e: tuple(v) for e, v in per.items()},
                 sorted(found - truth), sorted(truth - found))


# --------------------------------------------------------------------------
# lakewarden


def find_binary(explicit: str | None, wait_s: float) -> Path:
    """--lakewarden, $LAKEWARDEN_BIN or the first default that exists."""
    given = explicit or os.environ.get("LAKEWARDEN_BIN")
    candidates = [Path(given)] if given else DEFAULT_BINARIES
    deadline = time.monotonic() + wait_s
    while True:
        for c in candidates:
            if c.is_file() and os.access(c, os.X_OK):
                return c
        if time.monotonic() >= deadline:
            sys.exit("lakewarden binary not found (tried: "
                     + ", ".join(map(str, candidates)) + "); pass --lakewarden PATH")
        print(f"waiting for {candidates[0]} ...", file=sys.stderr)
        time.sleep(min(60.0, max(deadline - time.monotonic(), 1.0)))


@dataclass
class ToolRun:
    name: str
    found: set[Triple]
    seconds: float
    values: int
    notes: list[str] = field(default_factory=list)


def run_lakewarden(binary: Path, lake: Path, truth: Truth) -> ToolRun:
    """Scan the lake into a scratch catalog; read back the findings."""
    with tempfile.TemporaryDirectory(prefix="lw-presidio-") as tmp:
        catalog = Path(tmp) / "catalog"
        t0 = time.perf_counter()
        scan = subprocess.run(
            [str(binary), "scan", str(lake), "--catalog", str(catalog), "--quiet"],
            capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        if scan.returncode not in (0, 3):
            sys.exit(f"lakewarden scan exited {scan.returncode}:\n{scan.stdout}{scan.stderr}")

        def query(sql: str) -> list[dict]:
            q = subprocess.run(
                [str(binary), "query", "--catalog", str(catalog), "--format", "json", sql],
                capture_output=True, text=True, check=True)
            return json.loads(q.stdout)

        rows = query("SELECT dataset_uri, column_path, entity FROM classifications")
        sampled = query("SELECT dataset_uri, values_sampled FROM columns")

    root = "file://" + str(lake.resolve()).rstrip("/") + "/"
    known = truth.paths | truth.ignored

    def rel(uri: str) -> str:
        """file:///abs/lake/x/y -> x/y (percent-decoded if that is what matches)."""
        if not uri.startswith(root):
            sys.exit(f"lakewarden reported a dataset outside the lake: {uri}")
        path = uri[len(root):]
        if path not in known and unquote(path) in known:
            path = unquote(path)
        return path

    found = {(rel(r["dataset_uri"]), r["column_path"], r["entity"]) for r in rows}
    found = {t for t in found if t[0] not in truth.ignored}
    values = sum(int(r["values_sampled"] or 0) for r in sampled
                 if rel(r["dataset_uri"]) not in truth.ignored)
    notes = [f"scan exit code {scan.returncode}"] if scan.returncode else []
    return ToolRun("lakewarden", found, seconds, values, notes)


# --------------------------------------------------------------------------
# Reading the lake for Presidio


def quote_segment(name: str) -> str:
    """A column path segment as the truth file writes it."""
    if "." in name or '"' in name:
        return '"' + name.replace('"', '""') + '"'
    return name


def add_leaves(value, path: str, out: dict[str, list]) -> None:
    """Collect the non-null leaf values of one row under their dot paths."""
    if value is None:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            seg = quote_segment(str(k))
            add_leaves(v, f"{path}.{seg}" if path else seg, out)
    elif isinstance(value, list):
        for v in value:  # list elements add no segment
            add_leaves(v, path, out)
    else:
        out[path].append(value)


def read_rows(lake: Path, ds: dict) -> list[dict]:
    """One dataset as a list of Python rows (nested values stay nested)."""
    import pyarrow as pa

    path = lake / ds["path"]
    fmt = ds["format"]
    if fmt == "csv":
        return read_csv_rows(path, ds)
    if fmt == "json":
        with pa.input_stream(str(path), compression="detect") as f:
            text = f.read().decode("utf-8")
        rows = []
        for line in text.splitlines():
            line = line.strip()
            if line:
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    pass  # malformed line: skipped, as a scanner would
        return rows
    if fmt == "delta":
        from deltalake import DeltaTable

        return DeltaTable(str(path)).to_pyarrow_table().to_pylist()
    if fmt == "parquet":
        import pyarrow.dataset as pads

        # Folders: hive partitions become columns; '_' and '.' files are skipped.
        dataset = pads.dataset(str(path), format="parquet",
                               partitioning="hive" if path.is_dir() else None)
        return dataset.to_table().to_pylist()
    raise ValueError(f"unknown format {fmt!r} for {ds['path']}")


def read_csv_rows(path: Path, ds: dict) -> list[dict]:
    """CSV / TSV with every column read as text; empty fields are nulls."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if path.stat().st_size == 0:
        return []
    read = pacsv.ReadOptions(encoding=ds.get("encoding", "utf-8"))
    parse = pacsv.ParseOptions(delimiter=ds.get("delimiter", ","), newlines_in_values=True)
    names = pacsv.open_csv(str(path), read_options=read, parse_options=parse).schema.names
    convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                   null_values=[""], strings_can_be_null=True)
    return pacsv.read_csv(str(path), read_options=read, parse_options=parse,
                          convert_options=convert).to_pylist()


@dataclass
class Column:
    dataset: str
    path: str
    sample: list[str]
    non_null: int


def sample_columns(lake: Path, truth: Truth, n: int, seed: int) -> list[Column]:
    """Every leaf column of every "ok" dataset, with a seeded sample of values."""
    columns = []
    for ds in truth.datasets:
        leaves: dict[str, list] = defaultdict(list)
        for row in read_rows(lake, ds):
            add_leaves(row, "", leaves)
        for col, values in leaves.items():
            rng = random.Random(f"{seed}/{ds['path']}/{col}")  # str seeds are stable
            picked = values if len(values) <= n else rng.sample(values, n)
            columns.append(Column(ds["path"], col, [str(v) for v in picked], len(values)))
    return columns


# --------------------------------------------------------------------------
# Presidio


def build_analyzer(enable: list[str]):
    """Presidio's AnalyzerEngine on the no_op NLP engine (patterns and validators)."""
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer import predefined_recognizers
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    nlp = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "no_op",
        "models": [{"lang_code": "en", "model_name": "no_op"}],
    }).create_engine()
    analyzer = AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])
    for name in enable:  # predefined recognizers that ship disabled
        analyzer.registry.add_recognizer(getattr(predefined_recognizers, name)())
    return analyzer


def map_entity(presidio_entity: str, date_time_as_dob: bool) -> str | None:
    """Our name for a Presidio entity, or None when we have no equivalent."""
    if presidio_entity == "DATE_TIME" and date_time_as_dob:
        return "DATE_OF_BIRTH"
    if presidio_entity in OUR_ENTITIES:
        return presidio_entity
    return PRESIDIO_RENAMES.get(presidio_entity)


def kept_results(results, min_score: float, resolve_overlaps: bool):
    """Results at or above min_score, overlaps resolved by has_conflict."""
    results = [r for r in results if r.score >= min_score]
    if not resolve_overlaps:
        return results
    kept = []
    for r in sorted(results, key=lambda r: (-r.score, -(r.end - r.start), r.start)):
        if not any(r.has_conflict(k) for k in kept):
            kept.append(r)
    return kept


def context_words(column_path: str) -> list[str]:
    """The words of a column path, as context for Presidio's enhancer."""
    return [w for w in re.split(r"[^0-9a-z]+", column_path.lower()) if w]


@dataclass
class Rule:
    min_score: float
    min_hits: int
    min_share: float
    resolve_overlaps: bool
    date_time_as_dob: bool


def run_presidio(analyzer, columns: list[Column], rule: Rule, with_context: bool,
                 name: str, setup_s: float, read_s: float) -> ToolRun:
    """Analyze every sampled value; decide per column; map to our names."""
    found: set[Triple] = set()
    dropped: Counter = Counter()
    values = 0
    t0 = time.perf_counter()
    for col in columns:
        ctx = context_words(col.path) if with_context else None
        hits: Counter = Counter()
        for v in col.sample:
            results = analyzer.analyze(text=v, language="en", context=ctx)
            hits.update({r.entity_type for r in kept_results(
                results, rule.min_score, rule.resolve_overlaps)})
        values += len(col.sample)
        for entity, k in hits.items():
            if k < rule.min_hits or k / max(len(col.sample), 1) < rule.min_share:
                continue
            ours = map_entity(entity, rule.date_time_as_dob)
            if ours is None:
                dropped[entity] += 1
            else:
                found.add((col.dataset, col.path, ours))
    analyze_s = time.perf_counter() - t0
    notes = [f"analyze {analyze_s:.1f} s + read/sample {read_s:.1f} s + engine setup {setup_s:.1f} s"]
    if dropped:
        notes.append("column decisions dropped (no equivalent entity): "
                     + ", ".join(f"{e} {n}" for e, n in sorted(dropped.items())))
    return ToolRun(name, found, analyze_s + read_s + setup_s, values, notes)


def presidio_entities(analyzer, date_time_as_dob: bool) -> set[str]:
    """Our entities that the loaded recognizers can report, after mapping."""
    mapped = {map_entity(e, date_time_as_dob) for e in analyzer.get_supported_entities("en")}
    return {e for e in mapped if e}


def versions() -> dict[str, str]:
    from importlib.metadata import version

    return {p: version(p) for p in ("presidio-analyzer", "spacy", "pyarrow", "deltalake",
                                    "phonenumbers", "tldextract")}


# --------------------------------------------------------------------------
# Output


def print_report(runs: list[ToolRun], truth: Truth, subset: set[str]) -> dict:
    """The side-by-side tables; returns the same numbers for --json."""
    out: dict = {"tools": {}, "per_entity": {}}
    header = f"{'tool':<16} {'scope':<18} {'tp':>4} {'fp':>4} {'fn':>4} {'P':>6} {'R':>6} {'F1':>6}"
    print(header)
    print("-" * len(header))
    scores = {}
    for run in runs:
        s_all = score(run.found, truth.positives)
        s_sub = score(run.found, truth.positives, subset)
        scores[run.name] = s_all
        for scope, s in (("all entities", s_all), ("Presidio subset", s_sub)):
            print(f"{run.name:<16} {scope:<18} {s.tp:>4} {s.fp:>4} {s.fn:>4} "
                  f"{s.precision:>6.3f} {s.recall:>6.3f} {s.f1:>6.3f}")
        out["tools"][run.name] = {
            "seconds": round(run.seconds, 3), "values": run.values, "notes": run.notes,
            "all": score_json(s_all), "presidio_subset": score_json(s_sub)}
    print()
    print(f"{'tool':<16} {'wall s':>8} {'values':>8} {'values/s':>9}")
    for run in runs:
        print(f"{run.name:<16} {run.seconds:>8.2f} {run.values:>8} "
              f"{run.values / max(run.seconds, 1e-9):>9.0f}")
    lw = next((r for r in runs if r.name == "lakewarden"), None)
    for run in runs:
        if lw and run is not lw:
            ratio = lw.seconds / max(run.seconds, 1e-9)
            print(f"time ratio lakewarden / {run.name}: {ratio:.3f}")
            out["tools"][run.name]["time_ratio_lakewarden_over_this"] = round(ratio, 4)
    for run in runs:
        for note in run.notes:
            print(f"  {run.name}: {note}")
    print()

    entities = sorted({t[2] for t in truth.positives} | {t[2] for r in runs for t in r.found})
    names = [r.name for r in runs]
    print(f"{'entity':<16} {'truth':>5}  " + "  ".join(f"{n + ' tp/fp/fn F1':>26}" for n in names))
    for e in entities:
        n_truth = sum(1 for t in truth.positives if t[2] == e)
        cells, row = [], {"truth": n_truth, "presidio_supported": e in subset}
        for n in names:
            tp, fp, fn = scores[n].per_entity.get(e, (0, 0, 0))
            cells.append(f"{tp:>4}/{fp:>3}/{fn:>3} {f1(tp, fp, fn):>6.2f}".rjust(26))
            row[n] = {"tp": tp, "fp": fp, "fn": fn, "f1": round(f1(tp, fp, fn), 4)}
        mark = "" if e in subset else "  (no Presidio recognizer)"
        print(f"{e:<16} {n_truth:>5}  " + "  ".join(cells) + mark)
        out["per_entity"][e] = row
    return out


def score_json(s: Score) -> dict:
    return {"tp": s.tp, "fp": s.fp, "fn": s.fn, "precision": round(s.precision, 4),
            "recall": round(s.recall, 4), "f1": round(s.f1, 4)}


def print_details(runs: list[ToolRun], truth: Truth) -> None:
    for run in runs:
        s = score(run.found, truth.positives)
        print(f"\n{run.name}: {len(s.false_positives)} false positives, {len(s.missed)} missed")
        for t in s.false_positives:
            print(f"  false positive: {t}")
        for t in s.missed:
            print(f"  missed:         {t}")


# --------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lakewarden", help="lakewarden binary (default: $LAKEWARDEN_BIN, then the CI/debug build)")
    p.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                   help="poll for the binary every 60 s for up to this long")
    p.add_argument("--lake", type=Path, default=DEFAULT_LAKE)
    p.add_argument("--truth", type=Path, default=DEFAULT_TRUTH)
    p.add_argument("--sample", type=int, default=200, help="values per column for Presidio (default 200)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--min-score", type=float, default=0.5, help="Presidio result score that counts (default 0.5)")
    p.add_argument("--min-hits", type=int, default=2, help="sampled values with the entity a column needs (default 2)")
    p.add_argument("--min-share", type=float, default=0.0, help="and their share of the sample (default 0)")
    p.add_argument("--keep-overlaps", action="store_true", help="do not resolve overlapping results")
    p.add_argument("--context", choices=("none", "column", "both"), default="both",
                   help="Presidio variants: values only, column name as context, or both (default)")
    p.add_argument("--enable", action="append", default=[], metavar="RECOGNIZER",
                   help="also load a predefined recognizer that ships disabled, e.g. UkNinoRecognizer")
    p.add_argument("--date-time-as-dob", action="store_true", help="map Presidio DATE_TIME to DATE_OF_BIRTH")
    p.add_argument("--skip-lakewarden", action="store_true", help="run Presidio only")
    p.add_argument("--details", action="store_true", help="list every false positive and miss")
    p.add_argument("--json", type=Path, metavar="FILE", help="write the numbers as JSON")
    return p.parse_args()


def main() -> None:
    args = parse_args()
    truth = load_truth(args.truth)
    rule = Rule(args.min_score, args.min_hits, args.min_share, not args.keep_overlaps,
                args.date_time_as_dob)
    runs: list[ToolRun] = []

    binary = None
    if not args.skip_lakewarden:
        binary = find_binary(args.lakewarden, args.wait)
        print(f"lakewarden: {binary}", file=sys.stderr)
        runs.append(run_lakewarden(binary, args.lake, truth))

    t0 = time.perf_counter()
    analyzer = build_analyzer(args.enable)
    setup_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    columns = sample_columns(args.lake, truth, args.sample, args.seed)
    read_s = time.perf_counter() - t0
    variants = {"none": [False], "column": [True], "both": [False, True]}[args.context]
    for with_context in variants:
        name = "presidio+ctx" if with_context else "presidio"
        print(f"{name}: analyzing {sum(len(c.sample) for c in columns)} values "
              f"in {len(columns)} columns ...", file=sys.stderr)
        runs.append(run_presidio(analyzer, columns, rule, with_context, name, setup_s, read_s))

    subset = presidio_entities(analyzer, args.date_time_as_dob)
    vers = versions()
    print(f"demo lake: {len(truth.datasets)} datasets scored, {len(truth.positives)} truth triples; "
          f"Presidio sample {args.sample} values/column (seed {args.seed}); rule: score >= "
          f"{rule.min_score}, >= {rule.min_hits} values, share >= {rule.min_share}, "
          f"overlaps {'resolved' if rule.resolve_overlaps else 'kept'}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    print("Presidio subset: " + ", ".join(sorted(subset)))
    if args.enable:
        print("extra recognizers: " + ", ".join(args.enable))
    print()
    report = print_report(runs, truth, subset)
    if args.details:
        print_details(runs, truth)
    if args.json:
        report.update({
            "lakewarden_binary": str(binary) if binary else None,
            "sample": args.sample, "seed": args.seed, "versions": vers,
            "rule": vars(rule), "enabled_recognizers": args.enable,
            "presidio_subset": sorted(subset), "truth_triples": len(truth.positives)})
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
