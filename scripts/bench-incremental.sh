#!/usr/bin/env bash
# Incremental-scan benchmark: a nightly re-scan of an unchanged lake, and of
# a lake where one dataset changed, against the first scan of the same lake
# in the same run. Reported as ratios of wall time and of bytes read.
#
#   scripts/bench-incremental.sh
#
# Environment:
#   LAKEWARDEN_BENCH_DIR      cache folder (default ~/.cache/lakewarden/bench)
#   LAKEWARDEN_BENCH_MB       lake size on disk in MB (default 200)
#   LAKEWARDEN_BENCH_DATASETS datasets in the lake (default 32)
#   LAKEWARDEN_BENCH_PROFILE  cargo profile of the binaries (default dev: a
#                             clean `bench` build takes ~40 min on 2 cores; the
#                             ratios are what to quote, and a dev build makes
#                             the first scan slower, so state the profile)
#   CARGO_TARGET_DIR          as usual (default <repo>/target)
#
# Then a Delta table (the lake's first dataset written with the Python
# `deltalake` package, in the project venv) gets a nightly append commit:
# the re-scan reads only the added file and merges with the evidence the
# first scan kept, against a `--rescan` of the same version (every live
# file read, as before file-by-file evidence existed).
# No timing thresholds: the script fails only when a step fails to run.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
mb="${LAKEWARDEN_BENCH_MB:-200}"
datasets="${LAKEWARDEN_BENCH_DATASETS:-32}"
profile="${LAKEWARDEN_BENCH_PROFILE:-dev}"
bench_dir="${LAKEWARDEN_BENCH_DIR:-$HOME/.cache/lakewarden/bench}"
target="${CARGO_TARGET_DIR:-$repo/target}"
out_dir="$("$repo/scripts/cargo-profile-dir.sh" "$profile" "$target")"
log() { printf 'bench-incremental: %s\n' "$*" >&2; }

log "cargo build --profile $profile"
cargo build -q --profile "$profile" -p lakewarden-cli -p lakewarden-benches --bins >&2
bin="$out_dir/lakewarden"

# The lake is copied per run (the benchmark changes a file), generated once.
src="$bench_dir/incr-lake-v1-${mb}mb-${datasets}ds"
if [[ ! -f "$src/manifest.txt" ]]; then
  log "generating a ${mb} MB lake of $datasets datasets into $src"
  rm -rf "$src"
  "$out_dir/gen_bench_lake" --out "$src" --mb "$mb" --datasets "$datasets" >&2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$src" "$work/lake"
rm -f "$work/lake/manifest.txt"
catalog="$work/catalog"

# scan NAME [ARGS...]: wall seconds and bytes read, from --summary-json.
declare -A secs bytes scanned skipped
run_scan() {
  local name=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$bin" scan "$work/lake" --catalog "$catalog" --quiet --summary-json "$work/$name.json" "$@"
  t1=$(date +%s.%N)
  secs[$name]=$(python3 -c "print(round($t1 - $t0, 3))")
  read -r bytes[$name] scanned[$name] skipped[$name] < <(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(s["bytes_read"], s["datasets_scanned"], s["datasets_skipped"])' "$work/$name.json")
}

log "first scan"
run_scan first
log "re-scan, nothing changed"
run_scan unchanged
# One dataset changes: a new file in it (the nightly append).
one="$(find "$work/lake" -name '*.parquet' | sort | head -1)"
cp "$one" "$(dirname "$one")/part-99999-appended.parquet"
log "re-scan, one dataset changed"
run_scan one_changed

lake_bytes=$(du -sb "$work/lake" | cut -f1)
ratio() { python3 -c "print(f'{$1 / max($2, 1e-9):.4f}')"; }
printf '\nIncremental scans (profile %s; lake %s MB on disk, %s datasets)\n\n' \
  "$profile" "$((lake_bytes / 1000000))" "$datasets"
printf '| run | seconds | bytes read | datasets scanned / skipped | time / first | bytes / first |\n'
printf '|---|---|---|---|---|---|\n'
for r in first unchanged one_changed; do
  printf '| %s | %.2f | %s | %s / %s | %s | %s |\n' "$r" "${secs[$r]}" "${bytes[$r]}" \
    "${scanned[$r]}" "${skipped[$r]}" "$(ratio "${secs[$r]}" "${secs[first]}")" \
    "$(ratio "${bytes[$r]}" "${bytes[first]}")"
done

# --- A Delta table with a nightly append commit -------------------------
py="$("$repo/scripts/python-env.sh" "$repo/scripts/requirements-fixtures.txt")/bin/python"
first_ds="$(find "$work/lake" -name '*.parquet' | sort | head -1 | xargs dirname)"
dtable="$work/delta-lake/table"
dcat="$work/delta-catalog"
mkdir -p "$work/delta-lake"
log "writing a Delta table from $(basename "$first_ds") and appending a commit"
"$py" - "$first_ds" "$dtable" <<'EOF' >&2
import sys, pyarrow.dataset as ds, deltalake
src, table = sys.argv[1], sys.argv[2]
t = ds.dataset(src, format="parquet").to_table()
n = t.num_rows
day = n // 20                      # the nightly append: 1/20 of the table
# 16 earlier commits of one file each, the table's history so far.
step = (n - day) // 16 + 1
for k, start in enumerate(range(0, n - day, step)):
    deltalake.write_deltalake(table, t.slice(start, min(step, n - day - start)),
                              mode="overwrite" if k == 0 else "append")
open(table + ".append-rows", "w").write(str(day))
EOF
run_delta() {
  local name=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$bin" scan "$work/delta-lake" --catalog "$dcat" --quiet --summary-json "$work/$name.json" "$@"
  t1=$(date +%s.%N)
  secs[$name]=$(python3 -c "print(round($t1 - $t0, 3))")
  read -r bytes[$name] scanned[$name] skipped[$name] < <(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(s["bytes_read"], s["datasets_scanned"], s["datasets_skipped"])' "$work/$name.json")
}
log "Delta: first scan"
run_delta delta_first
"$py" - "$first_ds" "$dtable" <<'EOF' >&2
import sys, pyarrow.dataset as ds, deltalake
src, table = sys.argv[1], sys.argv[2]
t = ds.dataset(src, format="parquet").to_table()
day = int(open(table + ".append-rows").read())
deltalake.write_deltalake(table, t.slice(t.num_rows - day, day), mode="append")
EOF
log "Delta: re-scan after the append (only the new file)"
run_delta delta_append
log "Delta: --rescan of the same version (every live file)"
run_delta delta_rescan --rescan
files=$(find "$dtable" -name '*.parquet' | wc -l)
printf '\nDelta table (%s data files after the append; profile %s)\n\n' "$files" "$profile"
printf '| run | seconds | bytes read | time / first | bytes / first | time / --rescan | bytes / --rescan |\n'
printf '|---|---|---|---|---|---|---|\n'
for r in delta_first delta_append delta_rescan; do
  printf '| %s | %.2f | %s | %s | %s | %s | %s |\n' "$r" "${secs[$r]}" "${bytes[$r]}" \
    "$(ratio "${secs[$r]}" "${secs[delta_first]}")" "$(ratio "${bytes[$r]}" "${bytes[delta_first]}")" \
    "$(ratio "${secs[$r]}" "${secs[delta_rescan]}")" "$(ratio "${bytes[$r]}" "${bytes[delta_rescan]}")"
done
