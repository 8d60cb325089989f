#!/usr/bin/env bash
# The end-to-end suites that target an endpoint, run against the LocalStack of `docker compose up`, one file at a
# time in a random order (printed, so a failure can be replayed with SUITE_ORDER). Before each suite the stack is
# removed and rebuilt by the ready hook inside the container, so no suite sees what another changed or left
# behind: the outcome cannot depend on the order.
# Usage: .ci/localstack-suites.sh [endpoint]     (SUITE_ORDER="a.test.ts b.test.ts" fixes the order)
set -euo pipefail
cd "$(dirname "$0")/.."
endpoint="${1:-http://localhost:4566}"
export PIPELINE_E2E_ENDPOINT="$endpoint"

# Suites written against useEngine(): they use PIPELINE_E2E_ENDPOINT when it is set (some skip single tests that
# need the engine's internals, each with its reason).
suites=(
  cli-down.test.ts cli-logs-watch.test.ts cli-up.test.ts cli-upload.test.ts cli-verify.test.ts
  dynamodb-conformance.test.ts events.test.ts failed-events.test.ts faults.test.ts iam-pipeline.test.ts init-hooks.test.ts keys.test.ts
  records-scan.test.ts stack.test.ts
)
# Suites left out here, by name, with the reason: they start engines of their own with options only the embedded
# engine has, or drive its internals; the embedded job runs them.
skipped=(
  "crash.test.ts: SIGKILLs the embedded engine and restarts it from --persist"
  "dashboard.test.ts ui.test.ts: the engine's dashboard is served by the embedded engine only"
  "s3-persist-compaction.test.ts: the embedded S3 journal"
  "workflow.test.ts: .ci/evidence.sh starts its own embedded engine"
  "lambda.test.ts lambda-memory.test.ts s3-to-lambda.test.ts s3-conformance.test.ts s3-awscli.test.ts iam-sts-logs.test.ts iam-trust.test.ts: start engines with their own options (limits, faults, backends)"
  "cli-errors.test.ts cli-session.test.ts cli-build.test.ts function-artifact.test.ts: no endpoint involved, or an engine of their own"
  "s3-regressions.test.ts s3-versioning.test.ts s3-features.test.ts s3-signatures.test.ts s3-s3cmd.test.ts: the embedded S3's own conformance (engines with --verify-signatures, CORS origins)"
  "security-browser.test.ts security-resources.test.ts cli-up-host.test.ts: the embedded engine's request guard, limits and process containment"
  "s3-rapid-overwrite.test.ts: counts deliveries on the embedded engine's event bus"
  "runtimes.test.ts: the embedded engine's Node resolution per runtime (LocalStack runs the runtime's image)"
  "engine-control.test.ts engine-plugins.test.ts: the embedded engine's control API and plugins"
  "cli-upload-special-files.test.ts: local file handling, an engine of its own"
  "sqs.test.ts sqs-awscli.test.ts sqs-persist.test.ts sqs-sender.test.ts sqs-s3-notifications.test.ts: the embedded engine's SQS (engines of their own, role keys it issues, --persist with SIGKILL, the in-process QueueSender)"
  "lambda-event-invoke-config.test.ts: an engine of its own (short retry delay), and reads the engine's failed list"
  "logs-conformance.test.ts: the embedded Logs' refused members (an engine of its own; LocalStack community has KMS and log classes)"
  "iam-conformance.test.ts: the embedded IAM's permissions boundaries, tag rules and refused members (an engine of its own; LocalStack community does not enforce IAM)"
)
for reason in "${skipped[@]}"; do echo "::notice title=Not run against LocalStack::$reason"; done

if [ -n "${SUITE_ORDER:-}" ]; then
  read -r -a order <<<"$SUITE_ORDER"
else
  mapfile -t order < <(printf '%s\n' "${suites[@]}" | shuf)
fi
echo "suite order: ${order[*]}"

failed=()
for suite in "${order[@]}"; do
  echo "::group::$suite"
  node_modules/.bin/pipeline --endpoint "$endpoint" down >/dev/null
  docker compose exec -T localstack /etc/localstack/init/ready.d/10-pipeline-stack.sh
  node_modules/.bin/vitest run "test/e2e/$suite" || failed+=("$suite")
  echo "::endgroup::"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "::error title=LocalStack suites failed::${failed[*]} (order: ${order[*]})"
  exit 1
fi
echo "all ${#order[@]} endpoint suites passed against $endpoint"
