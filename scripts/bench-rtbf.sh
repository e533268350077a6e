#!/usr/bin/env bash
# RTBF benchmark: `lakewarden rtbf` for one subject on a generated lake of
# >= 1M rows — wall time, and bytes read against the lake's size, with a
# plain `lakewarden scan --full` of the same lake in the same run as the
# time baseline (what reading everything costs). Then one `customer_id`
# subject (an exact id: pushed down into the reads) with and without
# predicate pushdown (the hidden `--no-pushdown`), in the same run: time
# ratio, and bytes / row groups read. The lake's customer ids are clustered
# (`gen_bench_lake --clustered-ids`, sequential ids in 16 row groups per
# file), as in a table appended in id order.
#
#   scripts/bench-rtbf.sh
#
# Environment:
#   LAKEWARDEN_BENCH_DIR      cache folder (default ~/.cache/lakewarden/bench)
#   LAKEWARDEN_BENCH_DATASETS datasets in the lake (default 8: 2.1M rows)
#   LAKEWARDEN_BENCH_PROFILE  cargo profile (default dev; see bench-incremental.sh)
#   CARGO_TARGET_DIR          as usual
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
datasets="${LAKEWARDEN_BENCH_DATASETS:-8}"
profile="${LAKEWARDEN_BENCH_PROFILE:-dev}"
bench_dir="${LAKEWARDEN_BENCH_DIR:-$HOME/.cache/lakewarden/bench}"
target="${CARGO_TARGET_DIR:-$repo/target}"
out_dir="$("$repo/scripts/cargo-profile-dir.sh" "$profile" "$target")"
log() { printf 'bench-rtbf: %s\n' "$*" >&2; }

cargo build -q --profile "$profile" -p lakewarden-cli -p lakewarden-benches --bins >&2
bin="$out_dir/lakewarden"
# v2: clustered customer ids, 16 row groups of 16,384 rows per file.
lake="$bench_dir/rtbf-lake-v2-${datasets}ds"
if [[ ! -f "$lake/manifest.txt" ]]; then
  log "generating a lake of $datasets datasets into $lake"
  rm -rf "$lake"
  "$out_dir/gen_bench_lake" --out "$lake" --mb 1 --datasets "$datasets" \
    --clustered-ids --rows-per-group 16384 --groups-per-file 16 >&2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
catalog="$work/catalog"
secs() { python3 -c "import time; print(time.time())"; }

log "scan (sampled) to build the catalog"
"$bin" scan "$lake" --catalog "$catalog" --quiet
# A subject: one e-mail of the lake (pyarrow, from the project venv).
first=$(find "$lake" -path '*customers_0*' -name '*.parquet' | sort | head -1)
py="$(bash scripts/python-env.sh scripts/requirements-fixtures.txt)/bin/python"
email=$("$py" -c 'import sys, pyarrow.parquet as pq
col = pq.read_table(sys.argv[1], columns=["email"]).column(0).drop_null()
print(col[1000].as_py())' "$first")
customer_id=$("$py" -c 'import sys, pyarrow.parquet as pq
col = pq.read_table(sys.argv[1], columns=["customer_id"]).column(0)
print(col[150000].as_py())' "$first")

log "rtbf for one subject"
t0=$(secs)
"$bin" rtbf --catalog "$catalog" --subject "email=$email" --format json >"$work/rtbf.json"
t1=$(secs)
log "baseline: scan --full of the same lake (reads and classifies everything)"
t2=$(secs)
"$bin" scan "$lake" --catalog "$work/full" --quiet --full
t3=$(secs)
log "rtbf for one customer_id: with predicate pushdown, then without"
t4=$(secs)
"$bin" rtbf --catalog "$catalog" --subject "customer_id=$customer_id" --format json >"$work/id.json"
t5=$(secs)
"$bin" rtbf --catalog "$catalog" --subject "customer_id=$customer_id" --format json --no-pushdown >"$work/id-base.json"
t6=$(secs)

python3 - "$work/rtbf.json" "$t0" "$t1" "$t2" "$t3" "$profile" \
  "$work/id.json" "$work/id-base.json" "$t4" "$t5" "$t6" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
t0, t1, t2, t3 = map(float, sys.argv[2:6])
rows = sum(d["rows"] for d in r["datasets"])
read = r["read"]
print(f"\nrtbf, one subject (profile {sys.argv[6]}): {rows} rows in {len(r['datasets'])} datasets")
print("| measure | value |\n|---|---|")
print(f"| rtbf wall time | {t1 - t0:.2f} s |")
print(f"| scan --full wall time (baseline) | {t3 - t2:.2f} s |")
print(f"| rtbf / scan --full | {(t1 - t0) / (t3 - t2):.3f} |")
print(f"| bytes read / lake bytes | {read['bytes_read']} / {read['lake_bytes']} = {read['bytes_read'] / max(read['lake_bytes'], 1):.3f} |")
print(f"| datasets / columns read | {read['datasets_read']} / {read['columns_read']} |")

pushed, base = json.load(open(sys.argv[7])), json.load(open(sys.argv[8]))
t4, t5, t6 = map(float, sys.argv[9:12])
def found(r):
    return sorted((o["dataset_uri"], o["column_path"], o["rows"]) for o in r["occurrences"])
if found(pushed) != found(base):
    sys.exit("bench-rtbf: pushdown and --no-pushdown found different rows")
def total(r, key):
    return sum(d[key] or 0 for d in r["read"]["datasets"])
rows = sum(d["rows"] for d in pushed["datasets"])
print(f"\nrtbf, one customer_id: {rows} rows in {len(pushed['datasets'])} datasets, "
      "the same with and without pushdown")
print("| measure | pushdown | --no-pushdown | ratio |\n|---|---|---|---|")
print(f"| wall time | {t5 - t4:.2f} s | {t6 - t5:.2f} s | **{(t5 - t4) / (t6 - t5):.3f}** |")
for key in ("bytes_read", "row_groups_read", "rows_read", "files_read"):
    p, b = total(pushed, key), total(base, key)
    print(f"| {key} | {p:,} | {b:,} | **{p / max(b, 1):.3g}** |")
print(f"| datasets pushed down | {sum(d['pushdown'] == 'pushed_down' for d in pushed['read']['datasets'])}"
      f" of {len(pushed['read']['datasets'])} | | |")
EOF
