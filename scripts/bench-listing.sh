#!/usr/bin/env bash
# Listing benchmark: a scan of 20,000 objects on a local S3 server, with the
# listing overlapped with the reads (the default) and without (the hidden
# `--no-overlap`: the whole listing first), and with no text file fetched
# ahead of the one being parsed (the hidden `--no-prefetch`), in one run.
#
#   scripts/bench-listing.sh
#
# The server is s3s-fs (scripts/test-servers.sh builds it once): it serves a
# folder as S3, so 20,000 objects cost a few seconds to create (moto takes
# ~150 PUT/s). The objects are 100 Spark-style folders of 200 small `part-*`
# CSV files: 100 datasets. The folder is generated once, cached.
#
# Environment:
#   LAKEWARDEN_BENCH_DIR      cache folder (default ~/.cache/lakewarden/bench)
#   LAKEWARDEN_BENCH_OBJECTS  objects (default 20000; 200 per dataset)
#   LAKEWARDEN_BENCH_PROFILE  cargo profile (default dev; see bench-incremental.sh)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
objects="${LAKEWARDEN_BENCH_OBJECTS:-20000}"
profile="${LAKEWARDEN_BENCH_PROFILE:-dev}"
bench_dir="${LAKEWARDEN_BENCH_DIR:-$HOME/.cache/lakewarden/bench}"
target="${CARGO_TARGET_DIR:-$repo/target}"
out_dir="$("$repo/scripts/cargo-profile-dir.sh" "$profile" "$target")"
log() { printf 'bench-listing: %s\n' "$*" >&2; }

cargo build -q --profile "$profile" -p lakewarden-cli >&2
bin="$out_dir/lakewarden"
s3s="$(bash scripts/test-servers.sh install | sed -n 's/^S3S_FS=//p')"

root="$bench_dir/listing-v1-$objects"
if [[ ! -f "$root/.done" ]]; then
  log "creating $objects objects under $root"
  rm -rf "$root"
  python3 - "$root" "$objects" <<'EOF'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
per = 200
for i in range(n):
    d = os.path.join(root, "lake", "estate", f"table_{i // per:04d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"part-{i % per:05d}.csv"), "w") as f:
        f.write("id,email\n")
        f.write(f"{i},user{i}@example.com\n")
EOF
  touch "$root/.done"
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$s3s" --host 127.0.0.1 --port "$port" --access-key bench-key --secret-key bench-secret "$root" \
  >/dev/null 2>&1 &
server=$!
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
  sleep 0.1
done
export AWS_ENDPOINT="http://127.0.0.1:$port" AWS_ALLOW_HTTP=true AWS_REGION=us-east-1 \
  AWS_ACCESS_KEY_ID=bench-key AWS_SECRET_ACCESS_KEY=bench-secret

run() {
  local name=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$bin" scan s3://lake/estate --catalog "$work/$name" --quiet --summary-json "$work/$name.json" "$@"
  t1=$(date +%s.%N)
  python3 - "$work/$name.json" "$t0" "$t1" "$name" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
t = float(sys.argv[3]) - float(sys.argv[2])
print(f"{sys.argv[4]} {t:.3f} {s['listing_seconds']:.3f} {s['objects_listed']} {s['datasets_scanned']}")
EOF
}
log "scan, listing overlapped with reads"
read -r _ t_over l_over n_over d_over < <(run overlap)
log "scan, listing first (--no-overlap)"
read -r _ t_seq l_seq n_seq d_seq < <(run no_overlap --no-overlap)
log "scan, overlapped, no text file fetched ahead (--no-prefetch)"
read -r _ t_nopf l_nopf n_nopf d_nopf < <(run no_prefetch --no-prefetch)

python3 - "$profile" "$t_over" "$l_over" "$n_over" "$d_over" "$t_seq" "$l_seq" "$t_nopf" "$l_nopf" <<'EOF'
import sys
profile = sys.argv[1]
t_over, l_over, n, d = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
t_seq, l_seq = float(sys.argv[6]), float(sys.argv[7])
t_nopf, l_nopf = float(sys.argv[8]), float(sys.argv[9])
print(f"\nListing {n} objects ({d} datasets) on s3s-fs, profile {profile}\n")
print("| run | wall s | listing s | objects/s listed | objects/s end to end |")
print("|---|---|---|---|---|")
print(f"| overlapped (default) | {t_over:.2f} | {l_over:.2f} | {n / l_over:,.0f} | {n / t_over:,.0f} |")
print(f"| listing first | {t_seq:.2f} | {l_seq:.2f} | {n / l_seq:,.0f} | {n / t_seq:,.0f} |")
print(f"| overlapped, no file fetched ahead | {t_nopf:.2f} | {l_nopf:.2f} | {n / l_nopf:,.0f} | {n / t_nopf:,.0f} |")
print(f"\noverlapped / listing first (wall time): {t_over / t_seq:.3f}")
print(f"prefetch 8 files / none ahead (wall time): {t_over / t_nopf:.3f}")
EOF
