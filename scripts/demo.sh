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
# Access logs (S3, CloudTrail, Azure) and OpenLineage events that go with the
# demo lake; fixtures/demo.toml maps the s3:// and Azure spellings onto it.
cfg=fixtures/demo.toml
"$bin" ingest access-logs fixtures/audit/s3-access --format s3 --catalog "$catalog" --config "$cfg"
"$bin" ingest access-logs fixtures/audit/cloudtrail --format cloudtrail --catalog "$catalog" --config "$cfg"
"$bin" ingest access-logs fixtures/audit/azure --format azure --catalog "$catalog" --config "$cfg"
"$bin" ingest lineage fixtures/audit/openlineage --catalog "$catalog" --config "$cfg"
echo
echo "== who read sensitive data (lakewarden query who_read_sensitive) =="
"$bin" query --catalog "$catalog" --config "$cfg" who_read_sensitive
echo
echo "== right-to-be-forgotten impact for one person (lakewarden rtbf) =="
"$bin" rtbf --catalog "$catalog" --config "$cfg" \
  --subject email=LMorley80@gmail.com --subject phone="+44 7887 677400" --subject name="Leonard Morley"
echo
echo "Try: $bin query --catalog $catalog --config $cfg unmasked_downstream   (also: models_trained_on_pii, retention, rtbf_impact, time_travel)"
echo "     $bin rtbf --catalog $catalog --config $cfg --subject email=LMorley80@gmail.com --expand --format json"
echo "     $bin explain --catalog $catalog fixtures/demo-lake/customers_us.parquet ssn"
echo "     $bin query --catalog $catalog --format json \"SELECT dataset_uri, column_path, entity, confidence FROM classifications WHERE entity = 'US_SSN'\""
