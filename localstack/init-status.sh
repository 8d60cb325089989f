#!/usr/bin/env bash
# One look at LocalStack's READY init stage: exit 0 when it completed and every script is SUCCESSFUL, 1 while it is
# not there yet, 2 (naming the scripts) when a script is in ERROR. LocalStack completes the stage even when a
# script fails, so `completed` alone is not readiness. Used by the compose healthcheck (inside the LocalStack
# container: bash and curl only) and by .ci/wait-localstack.sh.
# Usage: localstack/init-status.sh [endpoint]
set -euo pipefail
endpoint="${1:-http://localhost:4566}"
if ! body=$(curl -fsS --max-time 3 "$endpoint/_localstack/init/ready" 2>/dev/null); then
  echo "init: $endpoint/_localstack/init/ready is not answering yet"
  exit 1
fi
# One script object per line, whatever the key order and spacing (LocalStack writes `"state": "ERROR"`, the embedded
# engine `"state":"ERROR"`).
scripts=$(printf '%s' "$body" | tr '{}' '\n' | grep '"state"' || true)
failed=$(printf '%s\n' "$scripts" | grep -E '"state": ?"ERROR"' | sed -E 's/.*"name": ?"([^"]*)".*/\1/' | paste -sd, - || true)
if [ -n "$failed" ]; then
  echo "init: script(s) $failed failed (state ERROR) at $endpoint: the stack was not built; see the output with 'docker compose logs localstack'" >&2
  exit 2
fi
if ! printf '%s' "$body" | grep -Eq '"completed": ?true'; then
  echo "init: READY stage not completed yet at $endpoint"
  exit 1
fi
if printf '%s\n' "$scripts" | grep -Ev '"state": ?"SUCCESSFUL"' | grep -q .; then
  echo "init: READY stage completed with a script not SUCCESSFUL at $endpoint"
  exit 1
fi
echo "init: ready at $endpoint ($(printf '%s\n' "$scripts" | grep -c '"state"') script(s) SUCCESSFUL)"
