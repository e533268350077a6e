#!/usr/bin/env bash
# Full-scan benchmark: lakewarden against a plain DataFusion decode of the same
# Parquet files, measured in one run and reported as ratios.
#
#   scripts/bench-scan.sh
#
# 1. Generates (once, cached) a deterministic >= 500 MB Parquet lake with
#    benches' gen_bench_lake under
#    ${LAKEWARDEN_BENCH_DIR:-$HOME/.cache/lakewarden/bench}/lake-<version>.
# 2. Builds `lakewarden` and the bench binaries with `cargo build --profile bench`.
# 3. Measures wall time and peak RSS (GNU time -v) of, in this order:
#    decode baseline (DataFusion SELECT *), `lakewarden scan --full`,
#    `lakewarden scan` (sampled, the default), `lakewarden scan --full` on half
#    of the lake (peak RSS should not grow with lake size), the same three
#    under a memory limit a tenth of the lake plus the lake twice over (16
#    datasets), and, unless
#    LAKEWARDEN_BENCH_SKIP_DUCKDB=1, the DuckDB regexp_matches baseline
#    (scripts/bench-duckdb.py, in the venv of scripts/python-env.sh).
# 4. Prints a table: MB/s of string bytes, ratios against the decode baseline
#    measured in the same run, peak RSS.
#
# Environment:
#   LAKEWARDEN_BENCH_DIR       cache folder (default ~/.cache/lakewarden/bench)
#   LAKEWARDEN_BENCH_MB        lake size on disk in MB (default 512)
#   LAKEWARDEN_BENCH_DUCKDB_MB string MB the DuckDB baseline matches (default 20)
#   LAKEWARDEN_BENCH_SKIP_DUCKDB=1  skip the DuckDB baseline
#   LAKEWARDEN_BENCH_JOBS      cargo -j (default: cargo's own)
#   LAKEWARDEN_BENCH_MEMORY_MB --memory-limit of the bounded-memory runs
#                              (default: a tenth of the lake on disk)
#   CARGO_TARGET_DIR           as usual (default <repo>/target)
# No timing thresholds: the script fails only when a step fails to run.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

LAKE_VERSION="v1"   # bump when gen_bench_lake's output changes
lake_mb="${LAKEWARDEN_BENCH_MB:-512}"
seed=42
bench_dir="${LAKEWARDEN_BENCH_DIR:-$HOME/.cache/lakewarden/bench}"
lake="$bench_dir/lake-$LAKE_VERSION-${lake_mb}mb-seed$seed"
target="${CARGO_TARGET_DIR:-$repo/target}"
duckdb_mb="${LAKEWARDEN_BENCH_DUCKDB_MB:-20}"

log() { printf 'bench-scan: %s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------
if ! /usr/bin/time -V >/dev/null 2>&1; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    log "installing GNU time (apt-get install -y time)"
    apt-get install -y -q time >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q time >/dev/null; }
  else
    log "GNU time (/usr/bin/time) is missing: apt-get install time"; exit 1
  fi
fi

# --- build -------------------------------------------------------------------
jobs=()
[[ -n "${LAKEWARDEN_BENCH_JOBS:-}" ]] && jobs=(-j "$LAKEWARDEN_BENCH_JOBS")
log "cargo build --profile bench (lakewarden + bench binaries) into $target"
# --benches as well: it also builds benches/benches/rules_engine.rs, and with the
# same command line `cargo bench -p lakewarden-benches` (which enables the
# dev-dependencies) reuses every artifact instead of rebuilding with other features.
cargo build --profile bench "${jobs[@]}" -p lakewarden-cli -p lakewarden-benches --bins --benches >&2
bin="$("$repo/scripts/cargo-profile-dir.sh" bench "$target")"
for name in lakewarden decode_baseline gen_bench_lake; do
  [[ -x "$bin/$name" ]] || { log "built binary $name not found under $bin"; exit 1; }
done
# Private copies: another build into the same target folder (a second work
# tree sharing it) must not swap the binaries in the middle of the runs.
bin_copy="$(mktemp -d "${TMPDIR:-/tmp}/lakewarden-bench-bin.XXXXXX")"
cp "$bin/lakewarden" "$bin/decode_baseline" "$bin/gen_bench_lake" "$bin_copy/"
bin="$bin_copy"

# --- lake --------------------------------------------------------------------
mkdir -p "$bench_dir"
if [[ ! -f "$lake/manifest.txt" ]]; then
  log "generating the bench lake ($lake_mb MB on disk) at $lake"
  "$bin/gen_bench_lake" --out "$lake" --mb "$lake_mb" --seed "$seed" >&2
fi
manifest() { sed -n "s/^$1=//p" "$lake/manifest.txt"; }
all_sb="$(manifest string_bytes)"
half_sb="$(manifest half_string_bytes)"
all_disk="$(manifest disk_bytes)"
half_disk="$(manifest half_disk_bytes)"
all_rows="$(manifest rows)"
all_datasets=("$lake"/data/*/)
half_datasets=("$lake"/data/*_0/)
all_datasets=("${all_datasets[@]%/}")
half_datasets=("${half_datasets[@]%/}")
log "lake: ${#all_datasets[@]} datasets, $all_rows rows, $((all_disk / 1000000)) MB on disk, $((all_sb / 1000000)) MB of strings; half: ${#half_datasets[@]} datasets"

# --- measuring ---------------------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/lakewarden-bench.XXXXXX")"
trap 'rm -rf "$work" "$bin_copy"' EXIT

declare -A secs rss status
# run NAME CMD...: time CMD under GNU time -v; records wall seconds, peak RSS
# (kB) and exit status; stdout/stderr go to $work/NAME.{out,err}.
run() {
  local name="$1"; shift
  log "run $name: $*"
  set +e
  /usr/bin/time -v -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err"
  status[$name]=$?
  set -e
  secs[$name]="$(awk -F': ' '/Elapsed \(wall clock\)/ {
      n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$work/$name.time")"
  rss[$name]="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/$name.time")"
  if [[ "${status[$name]}" != 0 ]]; then
    log "$name exited with status ${status[$name]}; last lines of its stderr:"
    tail -n 20 "$work/$name.err" | sed 's/^/    /' >&2
  fi
}

export RUST_LOG="${RUST_LOG:-warn}"
# Prime the page cache so every run reads the lake from memory alike.
cat "$lake"/data/*/*.parquet >/dev/null

run decode "$bin/decode_baseline" "${all_datasets[@]}"
run scan_full "$bin/lakewarden" scan --quiet --full --catalog "$work/catalog-full" \
  --summary-json "$work/scan_full.json" "$lake/data"
run scan_sampled "$bin/lakewarden" scan --quiet --catalog "$work/catalog-sampled" \
  --summary-json "$work/scan_sampled.json" "$lake/data"
run scan_full_half "$bin/lakewarden" scan --quiet --full --catalog "$work/catalog-half" \
  --summary-json "$work/scan_full_half.json" "${half_datasets[@]}"
# Bounded memory: a lake 10x the limit, whole and half, against the fixed
# cost of the process (a one-row CSV: rules compiled, dictionaries loaded).
mem_mb="${LAKEWARDEN_BENCH_MEMORY_MB:-$((all_disk / 10 / 1048576))}"
mkdir -p "$work/tiny"
printf 'id,email\n1,someone@example.com\n' >"$work/tiny/one.csv"
run scan_fixed_cost "$bin/lakewarden" scan --quiet --full --catalog "$work/catalog-tiny" \
  --summary-json "$work/scan_fixed_cost.json" "$work/tiny"
run scan_full_limited "$bin/lakewarden" scan --quiet --full --memory-limit "${mem_mb}MiB" \
  --catalog "$work/catalog-limited" --summary-json "$work/scan_full_limited.json" "$lake/data"
run scan_full_half_limited "$bin/lakewarden" scan --quiet --full --memory-limit "${mem_mb}MiB" \
  --catalog "$work/catalog-half-limited" --summary-json "$work/scan_full_half_limited.json" "${half_datasets[@]}"
# …and the lake twice over (16 datasets of the same mix; hard links, no
# extra disk): memory must not grow with the number of datasets either.
double="$bench_dir/lake-$LAKE_VERSION-${lake_mb}mb-seed$seed-x2"
if [[ ! -d "$double/b" ]]; then
  rm -rf "$double" && mkdir -p "$double"
  cp -al "$lake/data" "$double/a" && cp -al "$lake/data" "$double/b"
fi
run scan_full_double_limited "$bin/lakewarden" scan --quiet --full --memory-limit "${mem_mb}MiB" \
  --catalog "$work/catalog-double-limited" --summary-json "$work/scan_full_double_limited.json" "$double"

# The decode baseline's own count of string bytes must match the manifest.
decode_sb="$(sed -n 's/.*string_bytes=\([0-9]*\).*/\1/p' "$work/decode.out")"
if [[ -n "$decode_sb" && "$decode_sb" != "$all_sb" ]]; then
  log "note: decode counted $decode_sb string bytes, the manifest says $all_sb"
fi

mbps() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", b / 1e6 / s; else print "n/a" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.3f", a / b; else print "n/a" }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

scan_full_mbps="$(mbps "$all_sb" "${secs[scan_full]}")"
duckdb_mbps=""
if [[ "${LAKEWARDEN_BENCH_SKIP_DUCKDB:-0}" != 1 ]]; then
  venv="$(bash "$repo/scripts/python-env.sh" "$repo/scripts/requirements-bench.txt")"
  run duckdb "$venv/bin/python" "$repo/scripts/bench-duckdb.py" --lake "$lake" --mb "$duckdb_mb" \
    --rules "$repo/rules/entities" --threads "$(nproc)" --lakewarden-mbps "$scan_full_mbps"
  cat "$work/duckdb.err" >&2
  cat "$work/duckdb.out"
  duckdb_mbps="$(sed -n 's/^duckdb_mb_per_s=//p' "$work/duckdb.out")"
fi

# --- report ------------------------------------------------------------------
echo
echo "lakewarden full-scan bench: $(nproc) cores, lake $lake"
echo "  $all_rows rows, $((all_disk / 1000000)) MB Parquet (snappy), $((all_sb / 1000000)) MB of string values;" \
  "half: $((half_disk / 1000000)) MB, $((half_sb / 1000000)) MB of strings"
echo
printf '%-26s %8s %10s %10s %12s %7s\n' "run" "seconds" "MB/s str" "x decode" "peak RSS MB" "exit"
row() {  # name string_bytes
  local n="$1" b="$2"
  printf '%-26s %8s %10s %10s %12s %7s\n' "$n" "${secs[$n]}" "$(mbps "$b" "${secs[$n]}")" \
    "$(ratio "$(mbps "$b" "${secs[$n]}")" "$(mbps "$all_sb" "${secs[decode]}")")" \
    "$(mb "${rss[$n]}")" "${status[$n]}"
}
row decode "$all_sb"
row scan_full "$all_sb"
row scan_sampled "$all_sb"
row scan_full_half "$half_sb"
row scan_full_limited "$all_sb"
row scan_full_half_limited "$half_sb"
row scan_full_double_limited "$((2 * all_sb))"
[[ -n "${status[duckdb]:-}" ]] && printf '%-26s %8s %10s %10s %12s %7s\n' "duckdb regexp (${duckdb_mb} MB)" \
  "-" "${duckdb_mbps:-n/a}" "$(ratio "${duckdb_mbps:-0}" "$(mbps "$all_sb" "${secs[decode]}")")" \
  "$(mb "${rss[duckdb]}")" "${status[duckdb]}"
echo
echo "ratio scan-full / decode:        $(ratio "$(mbps "$all_sb" "${secs[scan_full]}")" "$(mbps "$all_sb" "${secs[decode]}")")  (MB/s of string bytes)"
echo "ratio sampled / decode:          $(ratio "$(mbps "$all_sb" "${secs[scan_sampled]}")" "$(mbps "$all_sb" "${secs[decode]}")")  (lake string bytes / wall time)"
[[ -n "$duckdb_mbps" ]] && echo "ratio lakewarden-full / duckdb:  $(ratio "$scan_full_mbps" "$duckdb_mbps")"
echo "peak RSS full scan: whole lake $(mb "${rss[scan_full]}") MB, half lake $(mb "${rss[scan_full_half]}") MB" \
  "(ratio $(ratio "${rss[scan_full]}" "${rss[scan_full_half]}") for 2x the data)"
fixed_kb="${rss[scan_fixed_cost]}"
echo "bounded memory (--memory-limit ${mem_mb}MiB; lake on disk $(ratio "$all_disk" "$((mem_mb * 1048576))")x the limit):" \
  "fixed cost $(mb "$fixed_kb") MB; whole lake $(mb "${rss[scan_full_limited]}") MB, half lake $(mb "${rss[scan_full_half_limited]}") MB" \
  "(ratio $(ratio "${rss[scan_full_limited]}" "${rss[scan_full_half_limited]}")); (peak - fixed) / limit:" \
  "$(ratio "$(( ${rss[scan_full_limited]} - fixed_kb ))" "$((mem_mb * 1024))")"
echo "  twice the lake (16 datasets): $(mb "${rss[scan_full_double_limited]}") MB (ratio to the whole lake" \
  "$(ratio "${rss[scan_full_double_limited]}" "${rss[scan_full_limited]}"))"
echo "full-scan time with the limit / without: $(ratio "${secs[scan_full_limited]}" "${secs[scan_full]}")"
for n in scan_full scan_sampled scan_full_half scan_full_limited scan_full_half_limited scan_full_double_limited; do
  if [[ -f "$work/$n.json" ]]; then
    echo "$n summary: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("status=%s datasets=%s failed=%s findings=%s rows_sampled=%s bytes_read=%s reserved_peak_mb=%.0f waits=%s errors=%s" % (d["status"], d["datasets_scanned"], d["datasets_failed"], d["findings"], d["rows_sampled"], d["bytes_read"], d.get("memory_reserved_peak_bytes", 0) / 1048576, d.get("memory_waits"), d["errors"][:3]))' "$work/$n.json" 2>/dev/null || echo unreadable)"
  fi
done

failed=0
for n in "${!status[@]}"; do [[ "${status[$n]}" == 0 ]] || failed=1; done
exit "$failed"
