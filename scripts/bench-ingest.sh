#!/usr/bin/env bash
# Ingest benchmark for every access-log format: `lakewarden ingest
# access-logs` (parse, normalise, Parquet commit, Tantivy sync) against a
# plain decompress-and-count of the same files, measured in one run.
#
#   scripts/bench-ingest.sh
#
# The logs are generated once (cached) from the fixtures' own records
# (fixtures/logs/*), varied by a seeded RNG: S3 server access logs in gzip
# files of 100,000 lines (as S3 delivers many objects), CloudTrail files of
# 1,000 records (gzip, `{"Records":[…]}`), Azure StorageBlobLogs as JSON
# lines of 100,000 lines (plain, as diagnostic settings write them).
#
# Environment:
#   LAKEWARDEN_BENCH_DIR     cache folder (default ~/.cache/lakewarden/bench)
#   LAKEWARDEN_BENCH_LINES   records per format (default 500000)
#   LAKEWARDEN_BIN           a built lakewarden binary (default: a dev build
#                            of the work tree; for numbers to quote, give the
#                            `bench` profile binary, see benches/README.md)
# Reports wall-clock and CPU time (user + system of the ingest process, all
# threads, from /usr/bin/time): lines per CPU-second is the per-core rate.
# Nothing is asserted about time; the script fails only when a step fails.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
lines="${LAKEWARDEN_BENCH_LINES:-500000}"
bench_dir="${LAKEWARDEN_BENCH_DIR:-$HOME/.cache/lakewarden/bench}"
root="$bench_dir/ingest-v1-$lines"
log() { printf 'bench-ingest: %s\n' "$*" >&2; }

bin="${LAKEWARDEN_BIN:-}"
if [[ -z "$bin" ]]; then
  cargo build -q -p lakewarden-cli >&2
  bin="${CARGO_TARGET_DIR:-$repo/target}/debug/lakewarden"
fi

if [[ ! -f "$root/.done" ]]; then
  log "generating $lines records per format under $root"
  rm -rf "$root"
  python3 - "$repo/fixtures/logs" "$root" "$lines" <<'EOF'
import gzip, json, os, random, sys
src, root, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(42)
keys = [f"raw/events/dt=2024-05-{d:02d}/part-{p:05d}.parquet" for d in range(1, 29) for p in range(40)]
principals = [f"arn:aws:iam::123456789012:user/u{i}" for i in range(200)] + \
             [f"arn:aws:sts::123456789012:assumed-role/etl-{i}/session-{i}" for i in range(50)]
ips = [f"10.{a}.{b}.{c}" for a, b, c in ((rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(500))]

# S3 server access logs: the fixture's lines as templates.
s3_lines = [l for l in open(os.path.join(src, "s3", "corp-lake-2019-02-06-00-00-00-3E57427F3EXAMPLE.log")) if len(l.split(" ")) > 12 and l.startswith(tuple("0123456789abcdef"))]
os.makedirs(os.path.join(root, "s3"))
per = 100_000
for f in range(0, n, per):
    with gzip.open(os.path.join(root, "s3", f"corp-lake-2024-05-01-{f // per:05d}.log.gz"), "wt", compresslevel=6) as out:
        for i in range(f, min(n, f + per)):
            parts = rng.choice(s3_lines).rstrip("\n").split(" ")
            key = rng.choice(keys)
            parts[4] = rng.choice(ips)
            parts[5] = rng.choice(principals)
            parts[6] = f"{i:016X}"
            parts[8] = key
            parts[10] = "/" + key
            out.write(" ".join(parts) + "\n")

# CloudTrail: the fixture's records as templates, 1,000 per file.
ct = json.load(gzip.open(next(os.path.join(src, "cloudtrail", f) for f in os.listdir(os.path.join(src, "cloudtrail")))))["Records"]
os.makedirs(os.path.join(root, "cloudtrail"))
for f in range(0, n, 1000):
    recs = []
    for i in range(f, min(n, f + 1000)):
        r = json.loads(json.dumps(rng.choice(ct)))
        r["eventID"] = f"e-{i:012d}"
        r["requestID"] = f"R{i:012d}"
        r["sourceIPAddress"] = rng.choice(ips)
        rp = r.get("requestParameters") or {}
        if "key" in rp:
            rp["key"] = rng.choice(keys)
        recs.append(r)
    with gzip.open(os.path.join(root, "cloudtrail", f"123456789012_CloudTrail_eu-west-1_{f // 1000:06d}.json.gz"), "wt") as out:
        json.dump({"Records": recs}, out)

# Azure StorageBlobLogs: the fixture's lines as templates.
def records(path):
    # The fixture holds malformed lines on purpose (parser tests): skip them.
    for l in open(path):
        try:
            yield json.loads(l)
        except ValueError:
            pass
az = [r for r in records(os.path.join(src, "azure", "PT1H.json")) if isinstance(r, dict) and "operationName" in r]
os.makedirs(os.path.join(root, "azure"))
for f in range(0, n, per):
    with open(os.path.join(root, "azure", f"PT1H-{f // per:04d}.json"), "w") as out:
        for i in range(f, min(n, f + per)):
            r = json.loads(json.dumps(rng.choice(az)))
            r["correlationId"] = f"c-{i:012d}"
            r["callerIpAddress"] = rng.choice(ips) + ":50012"
            out.write(json.dumps(r) + "\n")
EOF
  touch "$root/.done"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
secs() { python3 -c 'import sys; print("%.3f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$@"; }
declare -A base ingest cpu nlines rows
for fmt in s3 cloudtrail azure; do
  t0=$(date +%s.%N)
  # The baseline reads and decompresses every file and counts lines.
  for f in "$root/$fmt"/*; do
    case "$f" in *.gz) gzip -dc "$f" ;; *) cat "$f" ;; esac
  done | wc -l >/dev/null
  t1=$(date +%s.%N)
  # CPU time (user + system, every thread) of the ingest process.
  /usr/bin/time -f '%U %S' -o "$work/$fmt.time" \
    "$bin" ingest access-logs --quiet --format "$fmt" --catalog "$work/c-$fmt" \
    --summary-json "$work/$fmt.json" "$root/$fmt"
  t2=$(date +%s.%N)
  base[$fmt]="$(secs "$t0" "$t1")"
  ingest[$fmt]="$(secs "$t1" "$t2")"
  cpu[$fmt]="$(awk 'END { print $1 + $2 }' "$work/$fmt.time")"
  read -r nlines[$fmt] rows[$fmt] < <(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(sum(f["lines"] for f in s["files"]), s["rows"])' "$work/$fmt.json")
done

echo
echo "lakewarden ingest bench: $(nproc) cores, $lines records per format, $root"
echo "(lines: lines or records read, malformed and skipped included; CPU s: user + system of the ingest process)"
echo
echo "| format | lines | records ingested | ingest s | CPU s | lines/s | lines per CPU-s | records per CPU-s | decompress + count s | ingest / baseline (time) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for fmt in s3 cloudtrail azure; do
  python3 - "$fmt" "${nlines[$fmt]}" "${rows[$fmt]}" "${ingest[$fmt]}" "${cpu[$fmt]}" "${base[$fmt]}" <<'EOF2'
import sys
fmt, lines, rows, t, cpu, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
print(f"| {fmt} | {lines:,} | {rows:,} | {t:.2f} | {cpu:.2f} | {lines / t:,.0f} | {lines / cpu:,.0f} | {rows / cpu:,.0f} | {b:.2f} | {t / b:.1f} |")
EOF2
done
