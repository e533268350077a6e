#!/usr/bin/env bash
# Build lakewarden, scan the demo lake in fixtures/ into a local catalog and
# print the posture summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cargo build -q -p lakewarden-cli
bin=target/debug/lakewarden
catalog=${LAKEWARDEN_DEMO_CATALOG:-target/demo-catalog}
rm -rf "$catalog"
"$bin" scan fixtures/demo-lake --catalog "$catalog" --summary-json "$catalog.summary.json" || status=$?
# Exit 3 means "some datasets failed, the rest is committed"; the demo lake has none.
[ "${status:-0}" -eq 0 ] || { echo "demo scan exited ${status}" >&2; exit "$status"; }
echo
echo "== posture (lakewarden query posture) =="
"$bin" query --catalog "$catalog" posture
echo
echo "Try: $bin explain --catalog $catalog fixtures/demo-lake/customers_us.parquet ssn"
echo "     $bin query --catalog $catalog --format json \"SELECT dataset_uri, column_path, entity, confidence FROM classifications WHERE entity = 'US_SSN'\""
