#!/usr/bin/env python3
"""DuckDB regexp baseline for scripts/bench-scan.sh.

Matches every built-in rule pattern (rules/entities/*.toml) with DuckDB's
``regexp_matches`` (RE2) against the string columns of a subset of the bench
lake and prints MB/s of string bytes. DuckDB is slow at this (well under
10 MB/s), so it runs on ~20 MB of values, taken from the first file of every
dataset in equal shares, and the MB/s is extrapolated to the lake.

What is timed: one query computing, per pattern, how many values match
(``count(*) FILTER (WHERE regexp_matches(v, 'pattern'))`` for all patterns),
over an in-memory table of the values (decoding Parquet is not part of it; it
costs next to nothing at this speed). Patterns RE2 cannot compile are skipped
and counted. RE2 differs from the rules' byte-wise semantics in details (it
reads `\\xC3` as U+00C3, not a byte): the match counts are not comparable,
the work is.

    bench-duckdb.py --lake DIR [--mb 20] [--rules rules/entities] [--threads N]
                    [--lakewarden-mbps X]

Last lines of stdout (machine-readable):
    duckdb_mb_per_s=R
    ratio_lakewarden_full_over_duckdb=Q   (when --lakewarden-mbps is given)
"""

import argparse
import glob
import math
import os
import sys
import time
import tomllib

import duckdb


def load_patterns(rules_dir):
    pats = []
    for path in sorted(glob.glob(os.path.join(rules_dir, "*.toml"))):
        with open(path, "rb") as f:
            doc = tomllib.load(f)
        if doc.get("enabled", True) is False:
            continue
        for p in doc.get("patterns", []):
            pats.append((f"{doc['entity']}/{p['id']}", p["regex"], bool(p.get("caseless", False))))
    return pats


def manifest(lake):
    out = {}
    with open(os.path.join(lake, "manifest.txt")) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            out[k] = v
    return out


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lake", required=True, help="bench lake folder (has manifest.txt and data/)")
    ap.add_argument("--mb", type=float, default=20.0, help="MB (10^6) of string values to match")
    ap.add_argument("--rules", default=os.path.join(os.path.dirname(__file__), "..", "rules", "entities"))
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--lakewarden-mbps", type=float, default=None)
    a = ap.parse_args()

    con = duckdb.connect()
    con.execute(f"SET threads = {a.threads}")
    m = manifest(a.lake)
    datasets = sorted(k[len("dataset."):] for k in m if k.startswith("dataset."))
    share = a.mb * 1e6 / len(datasets)

    # The subset: the first rows of every dataset's first file, unpivoted to
    # one VARCHAR column (all string columns, as the full scan reads them).
    parts = []
    for name in datasets:
        stats = dict(kv.split(":") for kv in m["dataset." + name].split(","))
        per_row = int(stats["string_bytes"]) / max(int(stats["rows"]), 1)
        rows = math.ceil(share / per_row)
        f = sorted(glob.glob(os.path.join(a.lake, "data", name, "*.parquet")))[0]
        cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({sql_str(f)})").fetchall()
                if r[1] == "VARCHAR"]
        lst = ", ".join('"' + c.replace('"', '""') + '"' for c in cols)
        parts.append(f"SELECT unnest([{lst}]) AS v FROM (SELECT * FROM read_parquet({sql_str(f)}) LIMIT {rows})")
    con.execute("CREATE TABLE vals AS SELECT v FROM (" + " UNION ALL ".join(parts) + ") WHERE v IS NOT NULL")
    nvals, nbytes = con.execute("SELECT count(*), sum(strlen(v)) FROM vals").fetchone()

    ok, bad = [], []
    for pid, rx, caseless in load_patterns(a.rules):
        opts = ", 'i'" if caseless else ""
        expr = f"regexp_matches(v, {sql_str(rx)}{opts})"
        try:
            con.execute(f"SELECT {expr} FROM (SELECT 'x' AS v)").fetchall()
            ok.append((pid, expr))
        except duckdb.Error as e:
            bad.append((pid, str(e).splitlines()[0]))
    print(f"duckdb {duckdb.__version__}, {a.threads} threads: {len(ok)} patterns compiled by RE2, "
          f"{len(bad)} skipped", file=sys.stderr)
    for pid, err in bad:
        print(f"  skipped {pid}: {err}", file=sys.stderr)

    select = ", ".join(f"count(*) FILTER (WHERE {expr})" for _, expr in ok)
    t0 = time.perf_counter()
    counts = con.execute(f"SELECT {select} FROM vals").fetchone()
    secs = time.perf_counter() - t0
    mbps = nbytes / 1e6 / secs
    print(f"duckdb regexp_matches: {len(ok)} patterns over {nvals} values, {nbytes / 1e6:.1f} MB "
          f"in {secs:.2f}s = {mbps:.2f} MB/s ({sum(1 for c in counts if c)} patterns matched something)")
    print(f"duckdb_patterns_compiled={len(ok)}")
    print(f"duckdb_patterns_skipped={len(bad)}")
    print(f"duckdb_mb_per_s={mbps:.3f}")
    if a.lakewarden_mbps:
        print(f"ratio_lakewarden_full_over_duckdb={a.lakewarden_mbps / mbps:.2f}")


if __name__ == "__main__":
    main()
