#!/usr/bin/env bash
# Waits until a LocalStack-compatible endpoint is healthy and every init script of its READY stage is SUCCESSFUL.
# Fails at once, naming the script, when one is in ERROR (LocalStack still marks the stage completed then).
# Usage: .ci/wait-localstack.sh [endpoint] [timeout-seconds]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
endpoint="${1:-http://localhost:4566}"
timeout="${2:-300}"
deadline=$(( $(date +%s) + timeout ))
until curl -fsS --max-time 3 "$endpoint/_localstack/health" >/dev/null 2>&1; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "no health at $endpoint after ${timeout}s" >&2; exit 1; }
  sleep 1
done
while true; do
  status=0
  message=$(bash "$here/../localstack/init-status.sh" "$endpoint" 2>&1) || status=$?
  case "$status" in
    0) echo "ready: $endpoint ($message)"; exit 0 ;;
    2) echo "$message" >&2; exit 1 ;;
  esac
  [ "$(date +%s)" -lt "$deadline" ] || { echo "init hooks not completed at $endpoint after ${timeout}s: $message" >&2; exit 1; }
  sleep 1
done
