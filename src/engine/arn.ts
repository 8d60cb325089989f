/**
 * Every ARN the engine (and the stack above it) writes, built in one place so the formats cannot drift apart.
 *
 * This module imports nothing: `src/stack/spec.ts` and `src/events/s3-event.ts` import it too, and that must
 * never drag the engine in (test/unit/import-direction.test.ts checks it). The partition is always `aws`, as on
 * LocalStack.
 *
 * @example lambdaFunctionArn("us-east-1", "000000000000", "f") // "arn:aws:lambda:us-east-1:000000000000:function:f"
 */

/** `arn:aws:iam::<account>:root`: the account itself (its administrator). */
export function accountRootArn(accountId: string): string {
  return `arn:aws:iam::${accountId}:root`;
}

/** `arn:aws:iam::<account>:role<path><name>`; `path` starts and ends with `/` (default `/`). */
export function iamRoleArn(accountId: string, name: string, path = "/"): string {
  return `arn:aws:iam::${accountId}:role${path}${name}`;
}

/** `arn:aws:iam::<account>:policy<path><name>`; `aws` as the account for AWS managed policies. */
export function iamPolicyArn(accountId: string, name: string, path = "/"): string {
  return `arn:aws:iam::${accountId}:policy${path}${name}`;
}

/** `arn:aws:sts::<account>:assumed-role/<role>/<session>`: a role session's caller ARN. */
export function assumedRoleArn(accountId: string, roleName: string, sessionName: string): string {
  return `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
}

/** `arn:aws:lambda:<region>:<account>:function:<name>` */
export function lambdaFunctionArn(region: string, accountId: string, name: string): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${name}`;
}

/** `arn:aws:dynamodb:<region>:<account>:table/<name>` */
export function dynamodbTableArn(region: string, accountId: string, table: string): string {
  return `arn:aws:dynamodb:${region}:${accountId}:table/${table}`;
}

/**
 * `arn:aws:logs:<region>:<account>:log-group:<name>`, the `logGroupArn` field's and the tagging APIs' form;
 * {@link logGroupResourceArn} is the one IAM checks.
 */
export function logGroupArn(region: string, accountId: string, name: string): string {
  return `arn:aws:logs:${region}:${accountId}:log-group:${name}`;
}

/** `...:log-group:<name>:*`, the form AWS returns in DescribeLogGroups and checks for group-level actions. */
export function logGroupResourceArn(region: string, accountId: string, name: string): string {
  return `${logGroupArn(region, accountId, name)}:*`;
}

/** `...:log-group:<group>:log-stream:<stream>` */
export function logStreamArn(region: string, accountId: string, group: string, stream: string): string {
  return `${logGroupArn(region, accountId, group)}:log-stream:${stream}`;
}

/**
 * The ARN IAM policies use for a bucket (`arn:aws:s3:::b`) or an object (`arn:aws:s3:::b/k`); every bucket
 * (`arn:aws:s3:::*`) when there is none.
 */
export function s3Arn(bucket: string | undefined, key?: string): string {
  if (bucket === undefined) return "arn:aws:s3:::*";
  return key === undefined ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${key}`;
}

/** `arn:aws:sqs:<region>:<account>:<queue>` */
export function sqsQueueArn(region: string, accountId: string, queueName: string): string {
  return `arn:aws:sqs:${region}:${accountId}:${queueName}`;
}
