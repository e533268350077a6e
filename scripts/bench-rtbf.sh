#!/usr/bin/env bash
# RTBF benchmark: `lakewarden rtbf` for one subject on a generated lake of
# >= 1M rows — wall time, and bytes read against the lake's size, with a
# plain `lakewarden scan --full` of the same lake in the same run as the
# time baseline (what reading everything costs).
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
out_dir="$target/$([[ "$profile" == dev ]] && echo debug || echo "$profile")"
log() { printf 'bench-rtbf: %s\n' "$*" >&2; }

cargo build -q --profile "$profile" -p lakewarden-cli -p lakewarden-benches --bins >&2
bin="$out_dir/lakewarden"
lake="$bench_dir/rtbf-lake-v1-${datasets}ds"
if [[ ! -f "$lake/manifest.txt" ]]; then
  log "generating a lake of $datasets datasets into $lake"
  rm -rf "$lake"
  "$out_dir/gen_bench_lake" --out "$lake" --mb 1 --datasets "$datasets" >&2
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

log "rtbf for one subject"
t0=$(secs)
"$bin" rtbf --catalog "$catalog" --subject "email=$email" --format json >"$work/rtbf.json"
t1=$(secs)
log "baseline: scan --full of the same lake (reads and classifies everything)"
t2=$(secs)
"$bin" scan "$lake" --catalog "$work/full" --quiet --full
t3=$(secs)

python3 - "$work/rtbf.json" "$t0" "$t1" "$t2" "$t3" "$profile" <<'EOF'
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
EOF
