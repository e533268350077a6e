#!/usr/bin/env bash
# Install what is missing and run every test (unit, end-to-end), plus the
# format and lint gates. This is what .ci/run runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export RUST_LOG=${RUST_LOG:-warn}
start=$(date +%s)
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -q -- -D warnings
cargo test --workspace --no-fail-fast
echo "tests finished in $(( $(date +%s) - start ))s"
