#!/usr/bin/env bash
# Catalog scaling benchmark: a local lake of many tiny single-file datasets,
# scanned at two sizes (N and 8 N datasets) in one run. What grows with the
# number of datasets rather than with bytes: commits (each writes a manifest
# listing every live file with the datasets it holds), the incremental
# state, the manifest held in memory.
#
#   scripts/bench-catalog.sh
#
# Reported per size: first scan and unchanged re-scan (wall and CPU seconds
# per 1,000 datasets, peak RSS), manifests left on disk after the first scan
# (within the vacuum grace) and after the re-scan with --vacuum-grace 0.
# The ratios to look at: seconds per 1,000 datasets at 8 N / at N (1.0 is
# linear; fixed 64-dataset commits made it 1.34 at 16,000), and peak RSS
# growth per dataset.
#
# Environment:
#   LAKEWARDEN_BENCH_DIR       cache folder (default ~/.cache/lakewarden/bench)
#   LAKEWARDEN_BENCH_DATASETS  N (default 2000)
#   LAKEWARDEN_BENCH_PROFILE   cargo profile (default dev; see bench-incremental.sh)
#   LAKEWARDEN_BIN             a lakewarden binary to measure instead of building one
#                              (e.g. an earlier commit's, for a before / after ratio)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
small="${LAKEWARDEN_BENCH_DATASETS:-2000}"
large=$((small * 8))
profile="${LAKEWARDEN_BENCH_PROFILE:-dev}"
bench_dir="${LAKEWARDEN_BENCH_DIR:-$HOME/.cache/lakewarden/bench}"
target="${CARGO_TARGET_DIR:-$repo/target}"
out_dir="$("$repo/scripts/cargo-profile-dir.sh" "$profile" "$target")"
log() { printf 'bench-catalog: %s\n' "$*" >&2; }

if [[ -z "${LAKEWARDEN_BIN:-}" ]]; then
  cargo build -q --profile "$profile" -p lakewarden-cli >&2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A private copy: a rebuild by other work cannot swap the binary mid-run.
bin="$work/lakewarden"
cp "${LAKEWARDEN_BIN:-$out_dir/lakewarden}" "$bin"

for n in "$small" "$large"; do
  root="$bench_dir/many-v1-$n"
  if [[ ! -f "$root/.done" ]]; then
    log "creating $n datasets under $root"
    rm -rf "$root"
    python3 - "$root" "$n" <<'EOF'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "lake", f"dept_{i // 500:03d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"table_{i:06d}.csv"), "w") as f:
        f.write("id,email,note\n")
        for j in range(3):
            f.write(f"{i * 10 + j},user{i}_{j}@example.com,hello world\n")
EOF
    touch "$root/.done"
  fi
done

# name n lake catalog [flags...] -> "name n wall cpu rss_kb manifests manifest_bytes"
run() {
  local name=$1 n=$2 lake=$3 catalog=$4
  shift 4
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" \
    "$bin" scan "$lake" --catalog "$catalog" --quiet "$@" >/dev/null
  read -r wall user sys rss <"$work/time"
  local m bytes
  m=$(find "$catalog/_manifest" -name '*.json' | wc -l)
  bytes=$(du -sb "$catalog/_manifest" | cut -f1)
  echo "$name $n $wall $(python3 -c "print($user + $sys)") $rss $m $bytes"
}

results="$work/results"
for n in "$small" "$large"; do
  lake="$bench_dir/many-v1-$n/lake"
  log "$n datasets: first scan"
  run first "$n" "$lake" "$work/cat-$n" >>"$results"
  log "$n datasets: unchanged re-scan, --vacuum-grace 0"
  run rescan "$n" "$lake" "$work/cat-$n" --vacuum-grace 0 >>"$results"
done

python3 - "$profile" "$small" "$large" "$results" <<'EOF'
import sys
profile, small, large = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = {}
for line in open(sys.argv[4]):
    name, n, wall, cpu, rss, m, b = line.split()
    rows[(name, int(n))] = (float(wall), float(cpu), int(rss), int(m), int(b))
print(f"\nMany tiny datasets, local lake, profile {profile}\n")
print("| run | datasets | wall s | CPU s | wall s / 1k datasets | peak RSS MB | manifests on disk | manifest MB |")
print("|---|---|---|---|---|---|---|---|")
for name in ("first", "rescan"):
    for n in (small, large):
        wall, cpu, rss, m, b = rows[(name, n)]
        print(f"| {name} | {n:,} | {wall:.2f} | {cpu:.2f} | {wall / n * 1000:.3f} | {rss / 1024:.0f} | {m} | {b / 1e6:.1f} |")
per = lambda name, n, i: rows[(name, n)][i] / n
print(f"\nfirst scan, wall per dataset, {large:,} / {small:,}: {per('first', large, 0) / per('first', small, 0):.2f}")
print(f"first scan, CPU per dataset, {large:,} / {small:,}: {per('first', large, 1) / per('first', small, 1):.2f}")
print(f"re-scan, wall per dataset, {large:,} / {small:,}: {per('rescan', large, 0) / per('rescan', small, 0):.2f}")
grow = (rows[("rescan", large)][2] - rows[("rescan", small)][2]) * 1024 / (large - small)
print(f"re-scan peak RSS growth: {grow:,.0f} bytes per dataset")
EOF
