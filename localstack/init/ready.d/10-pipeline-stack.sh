#!/usr/bin/env bash
# LocalStack ready hook: creates the image metadata pipeline, idempotently, from the same names and policies
# as the TypeScript provisioner (localstack/stack.env is generated from src/stack/spec.ts; do not hand-edit).
# Runs inside the LocalStack container (awslocal) or from a checkout against any endpoint (aws --endpoint-url).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
stack_env="${PIPELINE_STACK_ENV:-}"
if [ -z "$stack_env" ]; then
  for candidate in "$here/../../stack.env" /etc/localstack/stack.env; do
    if [ -f "$candidate" ]; then stack_env="$candidate"; break; fi
  done
fi
if [ -z "$stack_env" ] || [ ! -f "$stack_env" ]; then
  echo "pipeline-hook: stack.env not found (set PIPELINE_STACK_ENV)" >&2
  exit 1
fi
# shellcheck source-path=SCRIPTDIR source=../../stack.env
. "$stack_env"

# The function zip: compose mounts the build output at /opt/pipeline/dist; a checkout has it in dist/.
zip="${PIPELINE_FUNCTION_ZIP:-}"
if [ -z "$zip" ]; then
  for candidate in /opt/pipeline/dist/function.zip "$here/../../../dist/function.zip"; do
    if [ -f "$candidate" ]; then zip="$candidate"; break; fi
  done
fi
if [ -z "$zip" ] || [ ! -f "$zip" ]; then
  echo "pipeline-hook: function zip not found at '${zip:-/opt/pipeline/dist/function.zip}' (run 'npm run build' or set PIPELINE_FUNCTION_ZIP)" >&2
  exit 1
fi

if [ -n "${AWS_CLI:-}" ]; then
  read -r -a awscli <<<"$AWS_CLI"
elif command -v awslocal >/dev/null 2>&1; then
  awscli=(awslocal)
else
  awscli=(aws --endpoint-url "${AWS_ENDPOINT_URL:-http://localhost:4566}")
fi
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-$PIPELINE_REGION}" AWS_PAGER=""
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
aws_() { "${awscli[@]}" "$@"; }
say() { echo "pipeline-hook: $*"; }

# 1. Table (PK/SK strings, on-demand).
if aws_ dynamodb describe-table --table-name "$PIPELINE_TABLE" >/dev/null 2>&1; then
  say "table $PIPELINE_TABLE unchanged"
else
  aws_ dynamodb create-table --table-name "$PIPELINE_TABLE" --billing-mode PAY_PER_REQUEST \
    --attribute-definitions AttributeName=PK,AttributeType=S AttributeName=SK,AttributeType=S \
    --key-schema AttributeName=PK,KeyType=HASH AttributeName=SK,KeyType=RANGE >/dev/null
  aws_ dynamodb wait table-exists --table-name "$PIPELINE_TABLE"
  say "table $PIPELINE_TABLE created"
fi

# 2-4. Private, encrypted bucket.
if aws_ s3api head-bucket --bucket "$PIPELINE_BUCKET" >/dev/null 2>&1; then
  say "bucket $PIPELINE_BUCKET unchanged"
else
  if [ "$PIPELINE_REGION" = "us-east-1" ]; then
    aws_ s3api create-bucket --bucket "$PIPELINE_BUCKET" >/dev/null
  else
    aws_ s3api create-bucket --bucket "$PIPELINE_BUCKET" --create-bucket-configuration "LocationConstraint=$PIPELINE_REGION" >/dev/null
  fi
  say "bucket $PIPELINE_BUCKET created"
fi
aws_ s3api put-public-access-block --bucket "$PIPELINE_BUCKET" --public-access-block-configuration \
  BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
aws_ s3api put-bucket-encryption --bucket "$PIPELINE_BUCKET" --server-side-encryption-configuration \
  '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'

# 4b. On-failure queue: failed asynchronous invocations wait here (14 days) to be re-driven.
if queue_url="$(aws_ sqs get-queue-url --queue-name "$PIPELINE_ON_FAILURE_QUEUE" --query QueueUrl --output text 2>/dev/null)"; then
  aws_ sqs set-queue-attributes --queue-url "$queue_url" --attributes "$PIPELINE_ON_FAILURE_QUEUE_ATTRIBUTES"
  say "queue $PIPELINE_ON_FAILURE_QUEUE unchanged"
else
  aws_ sqs create-queue --queue-name "$PIPELINE_ON_FAILURE_QUEUE" --attributes "$PIPELINE_ON_FAILURE_QUEUE_ATTRIBUTES" >/dev/null
  say "queue $PIPELINE_ON_FAILURE_QUEUE created"
fi

# 5. Execution role and its least-privilege inline policy.
if aws_ iam get-role --role-name "$PIPELINE_ROLE" >/dev/null 2>&1; then
  aws_ iam update-assume-role-policy --role-name "$PIPELINE_ROLE" --policy-document "$PIPELINE_TRUST_POLICY"
  say "role $PIPELINE_ROLE unchanged"
else
  aws_ iam create-role --role-name "$PIPELINE_ROLE" --assume-role-policy-document "$PIPELINE_TRUST_POLICY" >/dev/null
  say "role $PIPELINE_ROLE created"
fi
aws_ iam put-role-policy --role-name "$PIPELINE_ROLE" --policy-name "$PIPELINE_POLICY" --policy-document "$PIPELINE_EXECUTION_POLICY"

# 6. Function: create, or update its code and configuration.
if aws_ lambda get-function --function-name "$PIPELINE_FUNCTION" >/dev/null 2>&1; then
  aws_ lambda update-function-code --function-name "$PIPELINE_FUNCTION" --zip-file "fileb://$zip" >/dev/null
  aws_ lambda wait function-updated-v2 --function-name "$PIPELINE_FUNCTION"
  aws_ lambda update-function-configuration --function-name "$PIPELINE_FUNCTION" --runtime "$PIPELINE_RUNTIME" \
    --handler "$PIPELINE_HANDLER" --role "$PIPELINE_ROLE_ARN" --memory-size "$PIPELINE_MEMORY_MB" \
    --timeout "$PIPELINE_TIMEOUT_SECONDS" --environment "$PIPELINE_FUNCTION_ENVIRONMENT" >/dev/null
  aws_ lambda wait function-updated-v2 --function-name "$PIPELINE_FUNCTION"
  say "function $PIPELINE_FUNCTION updated"
else
  aws_ lambda create-function --function-name "$PIPELINE_FUNCTION" --runtime "$PIPELINE_RUNTIME" \
    --handler "$PIPELINE_HANDLER" --role "$PIPELINE_ROLE_ARN" --memory-size "$PIPELINE_MEMORY_MB" \
    --timeout "$PIPELINE_TIMEOUT_SECONDS" --environment "$PIPELINE_FUNCTION_ENVIRONMENT" \
    --zip-file "fileb://$zip" >/dev/null
  say "function $PIPELINE_FUNCTION created"
fi
aws_ lambda wait function-active-v2 --function-name "$PIPELINE_FUNCTION"

# 6b. Asynchronous invocation: two retries, then the event's invocation record goes to the on-failure queue
# (after the role policy: Lambda checks that the role may send there).
aws_ lambda put-function-event-invoke-config --function-name "$PIPELINE_FUNCTION" \
  --maximum-retry-attempts "$PIPELINE_ASYNC_MAXIMUM_RETRY_ATTEMPTS" --destination-config "$PIPELINE_DESTINATION_CONFIG" >/dev/null

# 7. Resource policy: S3 may invoke, only for this bucket and account. Replace a statement with our Sid.
if aws_ lambda get-policy --function-name "$PIPELINE_FUNCTION" --query Policy --output text 2>/dev/null | grep -q "\"$PIPELINE_PERMISSION_SID\""; then
  aws_ lambda remove-permission --function-name "$PIPELINE_FUNCTION" --statement-id "$PIPELINE_PERMISSION_SID"
fi
aws_ lambda add-permission --function-name "$PIPELINE_FUNCTION" --statement-id "$PIPELINE_PERMISSION_SID" \
  --action lambda:InvokeFunction --principal s3.amazonaws.com \
  --source-arn "$PIPELINE_BUCKET_ARN" --source-account "$PIPELINE_ACCOUNT_ID" >/dev/null

# 8. Notification (after the permission: S3 validates the destination).
aws_ s3api put-bucket-notification-configuration --bucket "$PIPELINE_BUCKET" \
  --notification-configuration "$PIPELINE_NOTIFICATION_CONFIGURATION"

# 9. Log group with retention.
aws_ logs create-log-group --log-group-name "$PIPELINE_LOG_GROUP" 2>/dev/null || true
aws_ logs put-retention-policy --log-group-name "$PIPELINE_LOG_GROUP" --retention-in-days "$PIPELINE_LOG_RETENTION_DAYS"

say "stack ready: s3://$PIPELINE_BUCKET/$PIPELINE_UPLOAD_PREFIX -> $PIPELINE_FUNCTION -> $PIPELINE_TABLE (failures -> $PIPELINE_ON_FAILURE_QUEUE)"
