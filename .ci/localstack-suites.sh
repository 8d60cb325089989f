#!/usr/bin/env bash
# The end-to-end suites that target an endpoint, one file at a time in a random order (printed, so a failure can be
# replayed with SUITE_ORDER). Before each suite the stack is removed and rebuilt by the ready hook, so no suite sees
# what another changed or left behind: the outcome cannot depend on the order.
#
#   .ci/localstack-suites.sh [endpoint]        against the LocalStack of `docker compose up` (the GitHub job); the
#                                              hook is re-run inside its container (`docker compose exec`)
#   .ci/localstack-suites.sh --like-localstack starts `pipeline up --bare --like localstack --init-dir` on a free
#                                              port itself (no Docker: npm test runs this), and re-runs the hook by
#                                              path with an `awslocal` shim, as the container runs it
#
# SUITE_ORDER="a.test.ts b.test.ts" fixes the order (and may name a subset). Each suite's passed/skipped/failed
# counts are printed at the end, and added to the job summary on GitHub.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

like=""
if [ "${1:-}" = "--like-localstack" ]; then
  like=1
  shift
fi

# Suites written against useEngine(): they use PIPELINE_E2E_ENDPOINT when it is set. What a target does differently
# (IAM, Logs filter patterns, wording) is read from test/helpers/target.ts, never assumed.
suites=(
  cli-down.test.ts cli-logs-watch.test.ts cli-stack-presence.test.ts cli-up.test.ts cli-upload.test.ts cli-verify.test.ts
  dynamodb-conformance.test.ts events.test.ts failed-events.test.ts iam-pipeline.test.ts
  init-hooks.test.ts keys.test.ts records-scan.test.ts stack.test.ts
)
# Suites left out here, by name, with the reason: they start engines of their own with options only the embedded
# engine has, or drive its internals; the embedded job runs them.
skipped=(
  "faults.test.ts: injects S3 and DynamoDB errors and duplicate deliveries through the embedded engine's fault options"
  "crash.test.ts: SIGKILLs the embedded engine and restarts it from --persist"
  "dashboard.test.ts ui.test.ts: the engine's dashboard is served by the embedded engine only"
  "s3-persist-compaction.test.ts: the embedded S3 journal"
  "workflow.test.ts: .ci/evidence.sh starts its own embedded engine"
  "lambda.test.ts lambda-memory.test.ts s3-to-lambda.test.ts s3-conformance.test.ts s3-awscli.test.ts iam-sts-logs.test.ts iam-trust.test.ts: start engines with their own options (limits, faults, backends)"
  "sts-session-expiry.test.ts: moves the clock of the embedded engine it runs in-process past a session's expiry (LocalStack community checks no credentials)"
  "cli-errors.test.ts cli-session.test.ts cli-build.test.ts function-artifact.test.ts: no endpoint involved, or an engine of their own"
  "s3-regressions.test.ts s3-versioning.test.ts s3-features.test.ts s3-signatures.test.ts s3-s3cmd.test.ts: the embedded S3's own conformance (engines with --verify-signatures, CORS origins)"
  "s3-ownership.test.ts s3-parts-forms.test.ts s3-browser-preflight.test.ts: the embedded S3's ownership, ACL, lifecycle and policy checks part checksums and presigned preflights (engines of their own: one restarted from --persist, one with --cors-origin)"
  "security-browser.test.ts security-resources.test.ts cli-up-host.test.ts: the embedded engine's request guard, limits and process containment"
  "s3-rapid-overwrite.test.ts: counts deliveries on the embedded engine's event bus"
  "runtimes.test.ts: the embedded engine's Node resolution per runtime (LocalStack runs the runtime's image)"
  "engine-control.test.ts engine-plugins.test.ts: the embedded engine's control API and plugins"
  "cli-upload-special-files.test.ts: local file handling, an engine of its own"
  "sqs.test.ts sqs-awscli.test.ts sqs-message-move.test.ts sqs-persist.test.ts sqs-sender.test.ts sqs-s3-notifications.test.ts: the embedded engine's SQS (engines of their own, role keys it issues, --persist with SIGKILL, the in-process QueueSender)"
  "lambda-versions.test.ts: engines of their own (a restart from a data dir), and the embedded Lambda's refused members by name"
  "lambda-event-invoke-config.test.ts lambda-destination-function.test.ts: an engine of its own (short retry delay), and reads the engine's failed list and activity"
  "logs-conformance.test.ts: the embedded Logs' refused members (an engine of its own; LocalStack community has KMS and log classes)"
  "iam-conformance.test.ts: the embedded IAM's permissions boundaries, tag rules and refused members (an engine of its own; LocalStack community does not enforce IAM)"
  "resource-policy-access.test.ts: a queue policy's Deny over a role's Allow and a role named by AddPermission invoking, both judged by the embedded engine's policy evaluation (LocalStack community does not enforce IAM)"
  "s3-routes.test.ts: the embedded S3's 405 for a sub-resource only another method serves (LocalStack's op_router.py matches the path and method first: DELETE /b?versioning is DeleteBucket there)"
  "fuzz.test.ts request-robustness.test.ts dynamodb-limits.test.ts lambda-limits.test.ts lambda-shutdown.test.ts: the embedded engine's own robustness under malformed and oversize input (engines of their own, killed and watched)"
  "store-crash.test.ts store-damage.test.ts store-damage-matrix.test.ts: the embedded engine's --persist store under SIGKILL and damaged files"
  "cli-first-hour.test.ts: the CLI against ports, endpoints and servers it starts itself (an engine of its own, a plain web server, nothing listening)"
  "cli-faults.test.ts: up --s3-fault-rate starts an engine of its own with the embedded engine's fault injection"
  "cli-terminal.test.ts: the CLI in a pseudo-terminal (progress bar), against an engine of its own; nothing endpoint-specific"
  "request-path-names.test.ts: the embedded engine's own code, run in process under tsx, counted per request"
  "cli-inspect.test.ts: up --inspect runs the function under the embedded engine's Node inspector (LocalStack's Lambda runs in a container, debugged through its own LAMBDA_DOCKER_FLAGS)"
)
if [ -n "${GITHUB_ACTIONS:-}" ]; then
  for reason in "${skipped[@]}"; do echo "::notice title=Not run against LocalStack::$reason"; done
fi

work="$(mktemp -d)"
engine_pids=()
cleanup() {
  # Each engine was started here with `setsid`: its process group is ours to end.
  for pid in "${engine_pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

endpoints=()
if [ -n "$like" ]; then
  # What docker-compose.yml gives LocalStack's container (its `${VAR:-default}` interpolated as Compose does), so a
  # variable LocalStack does not read is not read here either.
  # shellcheck disable=SC2016 # JavaScript, not shell
  compose_env="$(node --input-type=module -e '
    import { readFileSync } from "node:fs";
    import { parse } from "yaml";
    const environment = parse(readFileSync("docker-compose.yml", "utf8")).services.localstack.environment ?? {};
    for (const [name, value] of Object.entries(environment)) {
      const interpolated = String(value).replace(/\$\{(\w+)(?::-([^}]*))?\}/g, (_, v, d) => process.env[v] || (d ?? ""));
      if (!name.startsWith("PIPELINE_")) console.log(`${name}=${interpolated}`);
    }
  ')"
  while IFS= read -r assignment; do [ -n "$assignment" ] && export "${assignment?}"; done <<<"$compose_env"
  # Lanes: one engine each, and one Vitest worker each (a suite owns its lane's stack while it runs). The Docker job
  # has one LocalStack, so one lane.
  lanes="${LANES:-2}"
  for lane in $(seq 1 "$lanes"); do
    port="$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
    # `up --init-dir` builds dist/function.zip when it is missing or stale, and runs the hook through the engine's
    # init runner, as LocalStack runs it at start.
    setsid node cli/bin/pipeline.js up --bare --like localstack --port "$port" --init-dir "$repo/localstack/init" \
      >"$work/engine-$lane.log" 2>&1 &
    engine_pids+=("$!")
    endpoints+=("http://127.0.0.1:$port")
    # One build of the zip, before the next lane's engine would race it.
    [ "$lane" -gt 1 ] || bash .ci/wait-localstack.sh "${endpoints[0]}" 300 >/dev/null || true
  done
  for i in "${!endpoints[@]}"; do
    if ! bash .ci/wait-localstack.sh "${endpoints[$i]}" 300 >/dev/null; then
      echo "like-localstack: the engine did not become ready at ${endpoints[$i]}:" >&2
      cat "$work/engine-$((i + 1)).log" >&2
      exit 1
    fi
  done
  export PIPELINE_FUNCTION_ZIP="$repo/dist/function.zip"
  # Each engine's stack was just built by its start's hook run: its lane's first suite uses it as it is.
  export PIPELINE_E2E_FRESH_DIR="$work/fresh"
  mkdir -p "$PIPELINE_E2E_FRESH_DIR"
  for endpoint in "${endpoints[@]}"; do
    : >"$PIPELINE_E2E_FRESH_DIR/$(node -p 'encodeURIComponent(process.argv[1])' "$endpoint")"
  done
  # `awslocal` as in LocalStack's image: the AWS CLI v2 (a pyenv shim for v1 may come first on PATH) pointed at the
  # lane's endpoint.
  mkdir -p "$work/bin"
  awscli=""
  for candidate in "${AWS_CLI_V2:-}" /usr/bin/aws /usr/local/bin/aws "$(command -v aws || true)"; do
    if [ -n "$candidate" ] && "$candidate" --version 2>&1 | grep -q '^aws-cli/2'; then awscli="$candidate"; break; fi
  done
  [ -n "$awscli" ] || { echo "like-localstack: no AWS CLI v2 found (set AWS_CLI_V2)" >&2; exit 1; }
  # shellcheck disable=SC2016 # expanded when awslocal runs
  printf '#!/bin/sh\nexec "%s" --endpoint-url "$AWS_ENDPOINT_URL" "$@"\n' "$awscli" >"$work/bin/awslocal"
  chmod +x "$work/bin/awslocal"
  hook=(env "PATH=$work/bin:$PATH" "$repo/localstack/init/ready.d/10-pipeline-stack.sh")
  target="pipeline up --like localstack (${#endpoints[@]} engines: ${endpoints[*]})"
else
  endpoints=("${1:-http://localhost:4566}")
  hook=(docker compose exec -T localstack /etc/localstack/init/ready.d/10-pipeline-stack.sh)
  target="${endpoints[0]}"
fi
# test/helpers/rebuild-stack.ts gives each Vitest worker one of these and runs this before each suite, with that
# endpoint: `pipeline down` (the hook only creates and updates), then the hook.
export PIPELINE_E2E_ENDPOINTS="${endpoints[*]}" PIPELINE_E2E_ENDPOINT="${endpoints[0]}"
# shellcheck disable=SC2016 # $1 is the generated script's argument
{
  echo "#!/usr/bin/env bash"
  echo "set -euo pipefail"
  echo 'export AWS_ENDPOINT_URL="$1"'
  printf '%q ' node "$repo/cli/bin/pipeline.js" --endpoint; echo '"$1" down'
  printf '%q ' "${hook[@]}"; echo
} >"$work/rebuild-stack.sh"
export PIPELINE_E2E_REBUILD_STACK="$work/rebuild-stack.sh"

# The suites listed in SUITES (default: all of the list above), in vitest's seeded random file order.
read -r -a run <<<"${SUITES:-${suites[*]}}"
seed="${SUITE_SEED:-$(( (RANDOM << 15) | RANDOM ))}"
if [ -n "$like" ]; then replay="$0 --like-localstack"; else replay="$0 ${endpoints[0]}"; fi
echo "suites in a random order, seed $seed (replay: SUITE_SEED=$seed $replay)"
result=0
node_modules/.bin/vitest run --config .ci/localstack-suites.vitest.config.ts --sequence.seed="$seed" \
  --maxWorkers="${#endpoints[@]}" \
  --reporter=default --reporter=json --outputFile.json="$work/results.json" \
  "${run[@]/#/test/e2e/}" || result=$?

summary="$work/summary.md"
# shellcheck disable=SC2016 # JavaScript, not shell
node -e '
  const [file, ...names] = process.argv.slice(1);
  let results = [];
  try { results = JSON.parse(require("node:fs").readFileSync(file, "utf8")).testResults; } catch {}
  const rows = ["| suite (in the order run) | passed | skipped | failed |", "| --- | --- | --- | --- |"];
  const seen = new Set();
  for (const r of results) {
    const name = r.name.split("/").pop();
    seen.add(name);
    const count = (status) => r.assertionResults.filter((a) => a.status === status).length;
    // A suite that failed before its tests (the rebuild, an import) has no tests but failed.
    const failed = count("failed") || (r.status === "failed" ? 1 : 0);
    rows.push(`| ${name} | ${count("passed")} | ${count("pending") + count("skipped") + count("todo")} | ${failed} |`);
  }
  for (const name of names) if (!seen.has(name)) rows.push(`| ${name} | 0 | 0 | not run |`);
  console.log(rows.join("\n"));
' "$work/results.json" "${run[@]}" >"$summary"
echo "tests per suite against $target:"
cat "$summary"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  { echo "### End-to-end suites against $target"; echo; cat "$summary"; } >>"$GITHUB_STEP_SUMMARY"
fi
if [ "$result" -ne 0 ]; then
  echo "::error title=LocalStack suites failed::against $target (replay: SUITE_SEED=$seed)"
  exit 1
fi
echo "all ${#run[@]} endpoint suites passed against $target"
