#!/usr/bin/env bash
# A new user's session, scripted: `pipeline up` in the background, upload the fixtures and wait for their records,
# write the evidence report, then `pipeline down` and stop the engine. Used by the GitHub workflow and its test.
# Usage: .ci/evidence.sh [report-dir]   (PIPELINE_PORT picks the engine port, default 4566)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out}"
port="${PIPELINE_PORT:-4566}"
endpoint="http://127.0.0.1:${port}"
mkdir -p "$out"
started=$(date +%s%N)

node_modules/.bin/pipeline up --port "$port" >"$out/up.log" 2>&1 &
engine=$!
trap 'kill "$engine" 2>/dev/null || true; wait "$engine" 2>/dev/null || true' EXIT
for _ in $(seq 1 150); do
  if curl -fsS "$endpoint/_localstack/init/ready" 2>/dev/null | grep -q '"completed":true'; then break; fi
  if ! kill -0 "$engine" 2>/dev/null; then cat "$out/up.log" >&2; exit 1; fi
  sleep 0.2
done

node_modules/.bin/pipeline --endpoint "$endpoint" upload fixtures --wait
node_modules/.bin/pipeline --endpoint "$endpoint" verify --report "$out"
node_modules/.bin/pipeline --endpoint "$endpoint" down
echo "evidence: session took $(( ($(date +%s%N) - started) / 1000000 )) ms; report in $out/evidence.html"
