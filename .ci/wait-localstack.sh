#!/usr/bin/env bash
# Waits until a LocalStack-compatible endpoint is healthy and its init hooks completed.
# Usage: .ci/wait-localstack.sh [endpoint] [timeout-seconds]
set -euo pipefail
endpoint="${1:-http://localhost:4566}"
timeout="${2:-300}"
deadline=$(( $(date +%s) + timeout ))
until curl -fsS "$endpoint/_localstack/health" >/dev/null 2>&1; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "no health at $endpoint after ${timeout}s" >&2; exit 1; }
  sleep 2
done
until curl -fsS "$endpoint/_localstack/init/ready" | grep -Eq '"completed": ?true'; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "init hooks not completed at $endpoint after ${timeout}s" >&2; exit 1; }
  sleep 2
done
echo "ready: $endpoint"
