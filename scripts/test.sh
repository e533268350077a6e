#!/usr/bin/env bash
# Install what is missing and run every test (unit, end-to-end), plus the
# format and lint gates. This is what .ci/run runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export RUST_LOG=${RUST_LOG:-warn}
start=$(date +%s)
# The local model for the `llm` test group (tests/e2e/llm.rs): runtime and
# model are fetched once into ~/.cache/lakewarden (about 35 s cold, mostly
# download), overlapping the format and lint gates; the tests start the
# server themselves.
# The S3 / Azure test servers likewise (moto, Azurite, and s3s-fs, which is
# built once: ~3 min cold); the store tests would install them otherwise,
# in the middle of the test run.
llm_log="$(mktemp)"
servers_log="$(mktemp)"
bash scripts/llm-server.sh install >/dev/null 2>"$llm_log" &
llm_install=$!
bash scripts/test-servers.sh install >/dev/null 2>"$servers_log" &
servers_install=$!
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -q -- -D warnings
if ! wait "$llm_install"; then
  echo "test.sh: scripts/llm-server.sh install failed:" >&2
  cat "$llm_log" >&2
  exit 1
fi
if ! wait "$servers_install"; then
  echo "test.sh: scripts/test-servers.sh install failed:" >&2
  cat "$servers_log" >&2
  exit 1
fi
rm -f "$llm_log" "$servers_log"
cargo test --workspace --no-fail-fast
echo "tests finished in $(( $(date +%s) - start ))s"
