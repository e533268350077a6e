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
# No timing thresholds: the script fails only when a step fails to run.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
mb="${LAKEWARDEN_BENCH_MB:-200}"
datasets="${LAKEWARDEN_BENCH_DATASETS:-32}"
profile="${LAKEWARDEN_BENCH_PROFILE:-dev}"
bench_dir="${LAKEWARDEN_BENCH_DIR:-$HOME/.cache/lakewarden/bench}"
target="${CARGO_TARGET_DIR:-$repo/target}"
out_dir="$target/$([[ "$profile" == dev ]] && echo debug || echo "$profile")"
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
