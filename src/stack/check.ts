import type { LambdaFunctionConfiguration } from "@aws-sdk/client-s3";
import type { RuntimeReport } from "../engine/lambda/runtimes.ts";
import {
  canonicalPolicy,
  desiredLambdaNotification,
  isOurNotification,
  permissionMatches,
  policiesEqual,
} from "./compare.ts";
import type { Stack } from "./spec.ts";
import { allowsSendTo, isSendToQueue, sqsGrants } from "./sqs-grants.ts";

/** What the stack looks like on a target, as read by `observeStack`; `null` means "does not exist". */
export interface ObservedStack {
  identity: { account: string; arn: string; region: string } | null;
  table: {
    keys: Record<string, string>;
    attributeTypes: Record<string, string>;
    billingMode: string;
    status: string;
  } | null;
  bucket: {
    publicAccessBlock: Record<string, boolean | undefined> | null;
    encryptionAlgorithms: string[] | null;
    lambdaNotifications: LambdaFunctionConfiguration[];
  } | null;
  function: {
    runtime: string;
    handler: string;
    role: string;
    codeSha256: string;
    state: string;
    environment: Record<string, string>;
  } | null;
  role: {
    trustPolicy: unknown;
    inlinePolicies: Record<string, unknown>;
    attachedPolicyArns: string[];
  } | null;
  resourcePolicyStatements: unknown[] | null;
  logGroup: { retentionInDays?: number } | null;
  onFailureQueue: {
    arn: string;
    retentionSeconds: number;
    /** ApproximateNumberOfMessages: failed events waiting to be re-driven. */
    messages: number;
    /** The queue's own access policy, if it has one (null when none). */
    policy: unknown;
  } | null;
  eventInvokeConfig: { maximumRetryAttempts?: number; onFailure?: string; onSuccess?: string } | null;
}

/** One verify item: the seed lab's evidence numbers, what was seen, what is wanted, and how to look by hand. */
export interface CheckResult {
  id: string;
  evidence: string;
  title: string;
  ok: boolean;
  observed: string;
  expected: string;
  command: string;
}

/**
 * Every check `pipeline verify` runs, in evidence order: the twelve stack checks (`checkStack`, also the
 * dashboard's panel) and the five live ones (upload, record, logs, idempotency, consistency) that write and so run
 * only in `verify`. The one list the count comes from everywhere (help, README, dashboard, report).
 */
export const CHECK_CATALOG = [
  { id: "identity", evidence: "01", title: "Caller identity (account, region)", live: false },
  { id: "artifact", evidence: "02, 06", title: "Deployed code equals the local build", live: false },
  { id: "table", evidence: "03", title: "DynamoDB table keys and billing mode", live: false },
  { id: "bucket", evidence: "04", title: "S3 bucket exists", live: false },
  { id: "block-public-access", evidence: "05", title: "Block Public Access: all four flags on", live: false },
  { id: "default-encryption", evidence: "05b", title: "Default encryption SSE-S3 (AES256)", live: false },
  { id: "function", evidence: "06, 06b", title: "Function runtime, handler, role, environment", live: false },
  { id: "least-privilege", evidence: "07", title: "Role policy is exactly least privilege", live: false },
  { id: "logs", evidence: "08, 12", title: "Function logs show the object processed", live: true },
  { id: "notification", evidence: "09", title: "Notification targets the function", live: false },
  {
    id: "resource-policy",
    evidence: "10",
    title: "Resource policy: only s3.amazonaws.com, scoped",
    live: false,
  },
  { id: "upload", evidence: "11", title: "Upload a test image", live: true },
  { id: "record", evidence: "13", title: "DynamoDB record for the upload", live: true },
  { id: "idempotency", evidence: "14", title: "Duplicate deliveries do not create records", live: true },
  {
    id: "on-failure-queue",
    evidence: "15",
    title: "On-failure queue: exists, retention, no queue policy",
    live: false,
  },
  { id: "on-failure-destination", evidence: "16", title: "Failed async events go to the queue", live: false },
  {
    id: "consistency",
    evidence: "—",
    title: "Every object has its record, every record its object",
    live: true,
  },
] as const;

/** How many checks `verify` runs: the one number README, help, dashboard and report show. */
export const CHECK_COUNT = CHECK_CATALOG.length;

/** Checks sorted as the catalogue lists them (evidence order); unknown ids last, in their order. */
export function inEvidenceOrder(checks: CheckResult[]): CheckResult[] {
  const rank = (id: string) => {
    const i = CHECK_CATALOG.findIndex((c) => c.id === id);
    return i < 0 ? CHECK_CATALOG.length : i;
  };
  return [...checks].sort((a, b) => rank(a.id) - rank(b.id));
}

/** A catalogue check that could not run (the stack lacks what it needs): a FAIL row saying why. */
export function notRunCheck(id: (typeof CHECK_CATALOG)[number]["id"], reason: string): CheckResult {
  const entry = CHECK_CATALOG.find((c) => c.id === id) ?? CHECK_CATALOG[0];
  return {
    id,
    evidence: entry.evidence,
    title: entry.title,
    ok: false,
    observed: `not run: ${reason}`,
    expected: "the check runs",
    command: "npx pipeline verify",
  };
}

/**
 * Compares an observed stack with the spec, item by item (the twelve stack checks of CHECK_CATALOG). Pure: `verify` and the
 * init-hook test both use it. `runtime` is what the embedded engine says runs the stack's runtime: the function
 * item then names the Node it runs on, or that it is emulated (not a failure: `--strict-runtime` makes it one).
 */
export function checkStack(
  observed: ObservedStack,
  stack: Stack,
  localCodeSha256?: string,
  runtime?: RuntimeReport,
): CheckResult[] {
  const ep = "--endpoint-url $AWS_ENDPOINT_URL";
  const results: CheckResult[] = [];
  const add = (r: CheckResult) => results.push(r);

  add({
    id: "identity",
    evidence: "01",
    title: "Caller identity (account, region)",
    ok: observed.identity?.account === stack.accountId && observed.identity.region === stack.region,
    observed: observed.identity ? `${observed.identity.arn} in ${observed.identity.region}` : "unreachable",
    expected: `account ${stack.accountId}, region ${stack.region}`,
    command: `aws sts get-caller-identity ${ep}`,
  });

  add({
    id: "artifact",
    evidence: "02, 06",
    title: "Deployed code equals the local build",
    ok: Boolean(localCodeSha256) && observed.function?.codeSha256 === localCodeSha256,
    observed: observed.function ? `CodeSha256 ${observed.function.codeSha256}` : "function missing",
    expected: localCodeSha256
      ? `CodeSha256 ${localCodeSha256} (dist/function.zip)`
      : "dist/function.zip built (npm run build)",
    command: `aws lambda get-function-configuration --function-name ${stack.functionName} --query CodeSha256 ${ep}`,
  });

  const t = observed.table;
  const { partitionKey, sortKey, billingMode } = stack.tableKeys;
  add({
    id: "table",
    evidence: "03",
    title: `DynamoDB table: ${partitionKey}/${sortKey} strings, on-demand`,
    ok:
      t !== null &&
      t.keys.HASH === partitionKey &&
      t.keys.RANGE === sortKey &&
      t.attributeTypes[partitionKey] === "S" &&
      t.attributeTypes[sortKey] === "S" &&
      t.billingMode === billingMode,
    observed: t ? `HASH ${t.keys.HASH}, RANGE ${t.keys.RANGE}, ${t.billingMode}, ${t.status}` : "missing",
    expected: `HASH ${partitionKey} (S), RANGE ${sortKey} (S), ${billingMode}`,
    command: `aws dynamodb describe-table --table-name ${stack.table} ${ep}`,
  });

  const b = observed.bucket;
  add({
    id: "bucket",
    evidence: "04",
    title: "S3 bucket exists",
    ok: b !== null,
    observed: b ? "exists" : "missing",
    expected: `s3://${stack.bucket}`,
    command: `aws s3api head-bucket --bucket ${stack.bucket} ${ep}`,
  });

  const bpa = b?.publicAccessBlock;
  const bpaFlags = [
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
  ] as const;
  const bpaOff = bpa ? bpaFlags.filter((f) => bpa[f] !== true) : [...bpaFlags];
  add({
    id: "block-public-access",
    evidence: "05",
    title: "Block Public Access: all four flags on",
    ok: bpa !== null && bpa !== undefined && bpaOff.length === 0,
    observed: bpa ? (bpaOff.length ? `off: ${bpaOff.join(", ")}` : "all on") : "not configured",
    expected: bpaFlags.join(", "),
    command: `aws s3api get-public-access-block --bucket ${stack.bucket} ${ep}`,
  });

  add({
    id: "default-encryption",
    evidence: "05b",
    title: "Default encryption SSE-S3 (AES256)",
    ok: b?.encryptionAlgorithms?.length === 1 && b.encryptionAlgorithms[0] === "AES256",
    observed: b?.encryptionAlgorithms ? b.encryptionAlgorithms.join(", ") || "no rules" : "not configured",
    expected: "AES256",
    command: `aws s3api get-bucket-encryption --bucket ${stack.bucket} ${ep}`,
  });

  const f = observed.function;
  add({
    id: "function",
    evidence: "06, 06b",
    title: "Function runtime, handler, role, environment",
    ok:
      f !== null &&
      f.runtime === stack.runtime &&
      f.handler === stack.handler &&
      f.role === stack.arns.role &&
      f.state === "Active" &&
      f.environment.TABLE_NAME === stack.table,
    observed: f
      ? `${f.runtime}, ${f.handler}, ${f.role}, ${f.state}, TABLE_NAME=${f.environment.TABLE_NAME ?? "unset"}${runtime ? `; ${runtime.description}` : ""}`
      : "missing",
    expected: `${stack.runtime}, ${stack.handler}, ${stack.arns.role}, Active, TABLE_NAME=${stack.table}`,
    command: `aws lambda get-function-configuration --function-name ${stack.functionName} ${ep}`,
  });

  const role = observed.role;
  const inlineNames = role ? Object.keys(role.inlinePolicies).sort() : [];
  const ourPolicy = role?.inlinePolicies[stack.policyName];
  const policyProblems: string[] = [];
  if (!role) policyProblems.push("role missing");
  else {
    if (!policiesEqual(role.trustPolicy, stack.trustPolicy)) policyProblems.push("trust policy differs");
    if (ourPolicy === undefined) policyProblems.push(`inline policy ${stack.policyName} missing`);
    else if (!policiesEqual(ourPolicy, stack.executionPolicy))
      policyProblems.push(describePolicyDifference(ourPolicy, stack));
    const extra = inlineNames.filter((n) => n !== stack.policyName);
    if (extra.length) policyProblems.push(`extra inline policies: ${extra.join(", ")}`);
    if (role.attachedPolicyArns.length)
      policyProblems.push(`attached policies: ${role.attachedPolicyArns.join(", ")}`);
    const widerOnSqs = sqsGrants(Object.values(role.inlinePolicies)).filter(
      (g) => !isSendToQueue(g, stack.arns.onFailureQueue),
    );
    if (widerOnSqs.length)
      policyProblems.unshift(
        `role may ${widerOnSqs.map((g) => `${g.action} on ${g.resource}`).join(", ")} beyond sqs:SendMessage to ${stack.onFailureQueue.name}`,
      );
  }
  add({
    id: "least-privilege",
    evidence: "07",
    title: "Role policy is exactly least privilege",
    ok: policyProblems.length === 0,
    observed: policyProblems.length
      ? policyProblems.join("; ")
      : "dynamodb:PutItem on table, s3:GetObject and s3:GetObjectVersion on bucket/*, logs on own group, sqs:SendMessage on own queue",
    expected: `only ${stack.policyName}: dynamodb:PutItem ${stack.arns.table}; s3:GetObject, s3:GetObjectVersion ${stack.arns.bucketObjects}; logs on ${stack.logGroupName}; sqs:SendMessage ${stack.arns.onFailureQueue}`,
    command: `aws iam get-role-policy --role-name ${stack.roleName} --policy-name ${stack.policyName} ${ep}`,
  });

  const ours = (b?.lambdaNotifications ?? []).filter((c) => isOurNotification(c, stack));
  const desired = desiredLambdaNotification(stack);
  const notificationOk =
    ours.length === 1 &&
    ours[0]?.LambdaFunctionArn === desired.LambdaFunctionArn &&
    JSON.stringify([...(ours[0]?.Events ?? [])].sort()) === JSON.stringify(desired.Events) &&
    JSON.stringify(filterRules(ours[0])) === JSON.stringify(filterRules(desired));
  add({
    id: "notification",
    evidence: "09",
    title: `Notification: ObjectCreated with prefix ${stack.uploadPrefix} targets the function`,
    ok: notificationOk,
    observed: ours.length
      ? ours
          .map((c) => `${c.Events?.join("|")} ${JSON.stringify(filterRules(c))} -> ${c.LambdaFunctionArn}`)
          .join("; ")
      : "none",
    expected: `${desired.Events?.join("|")} ${JSON.stringify(filterRules(desired))} -> ${desired.LambdaFunctionArn}`,
    command: `aws s3api get-bucket-notification-configuration --bucket ${stack.bucket} ${ep}`,
  });

  const statements = observed.resourcePolicyStatements ?? [];
  const others = statements.filter((s) => !permissionMatches(s, stack));
  add({
    id: "resource-policy",
    evidence: "10",
    title: "Resource policy: only s3.amazonaws.com, scoped by SourceArn and SourceAccount",
    ok: statements.length === 1 && others.length === 0,
    observed:
      observed.resourcePolicyStatements === null
        ? "no resource policy"
        : statements.map((s) => JSON.stringify(canonicalPolicy(s))).join("; "),
    expected: `Allow s3.amazonaws.com lambda:InvokeFunction if ArnLike aws:SourceArn ${stack.arns.bucket} and StringEquals aws:SourceAccount ${stack.accountId}`,
    command: `aws lambda get-policy --function-name ${stack.functionName} ${ep}`,
  });

  const queue = observed.onFailureQueue;
  const retention = stack.onFailureQueue.messageRetentionSeconds;
  add({
    id: "on-failure-queue",
    evidence: "15",
    title: `On-failure queue: exists, keeps failed events ${retention / 86_400} days, no queue policy`,
    ok:
      queue !== null &&
      queue.arn === stack.arns.onFailureQueue &&
      queue.retentionSeconds === retention &&
      queue.policy === null,
    observed: queue
      ? `${queue.arn}, retention ${queue.retentionSeconds} s, ${queue.messages} failed events${queue.policy === null ? "" : ", has a queue policy"}`
      : "missing",
    expected: `${stack.arns.onFailureQueue}, retention ${retention} s, no queue policy`,
    command: `aws sqs get-queue-attributes --queue-url "$(aws sqs get-queue-url --queue-name ${stack.onFailureQueue.name} --query QueueUrl --output text ${ep})" --attribute-names All ${ep}`,
  });

  const invokeConfig = observed.eventInvokeConfig;
  const wanted = stack.eventInvokeConfig;
  const maySend = sqsGrants(role ? Object.values(role.inlinePolicies) : []).some((g) =>
    allowsSendTo(g, stack.arns.onFailureQueue),
  );
  add({
    id: "on-failure-destination",
    evidence: "16",
    title: `Failed async events go to the queue after ${wanted.maximumRetryAttempts} retries; the role may send there`,
    ok:
      invokeConfig?.onFailure === wanted.onFailureDestination &&
      invokeConfig.maximumRetryAttempts === wanted.maximumRetryAttempts &&
      invokeConfig.onSuccess === undefined &&
      maySend,
    observed: `${
      invokeConfig
        ? `retries ${invokeConfig.maximumRetryAttempts ?? "default"}, on failure -> ${invokeConfig.onFailure ?? "nothing"}${invokeConfig.onSuccess ? `, on success -> ${invokeConfig.onSuccess}` : ""}`
        : "no event invoke config"
    }; role ${maySend ? "may" : "may not"} send to the queue`,
    expected: `retries ${wanted.maximumRetryAttempts}, on failure -> ${wanted.onFailureDestination}; role may sqs:SendMessage there`,
    command: `aws lambda get-function-event-invoke-config --function-name ${stack.functionName} ${ep}`,
  });

  return results;
}

function filterRules(config: LambdaFunctionConfiguration | undefined): Array<[string, string]> {
  return (config?.Filter?.Key?.FilterRules ?? [])
    .map((r): [string, string] => [String(r.Name ?? "").toLowerCase(), String(r.Value ?? "")])
    .sort();
}

/** Names the first way a role policy differs from the spec (wider resource, extra action, missing statement). */
function describePolicyDifference(policy: unknown, stack: Stack): string {
  const actual = ((policy as { Statement?: unknown[] }).Statement ?? []).map(
    (s) => canonicalPolicy(s) as Record<string, unknown>,
  );
  const wanted = stack.executionPolicy.Statement.map((s) => canonicalPolicy(s) as Record<string, unknown>);
  for (const statement of actual) {
    const twin = wanted.find((w) => JSON.stringify(w.Action) === JSON.stringify(statement.Action));
    if (!twin)
      return `unexpected statement granting ${JSON.stringify(statement.Action)} on ${JSON.stringify(statement.Resource)}`;
    if (JSON.stringify(twin.Resource) !== JSON.stringify(statement.Resource)) {
      return `${JSON.stringify(statement.Action)} on ${JSON.stringify(statement.Resource)}, wanted ${JSON.stringify(twin.Resource)}`;
    }
    if (statement.Effect !== "Allow" || statement.Condition !== undefined)
      return `statement ${JSON.stringify(statement.Action)} differs`;
  }
  const missing = wanted.filter(
    (w) => !actual.some((a) => JSON.stringify(a.Action) === JSON.stringify(w.Action)),
  );
  return missing.length
    ? `missing ${missing.map((m) => JSON.stringify(m.Action)).join(", ")}`
    : "policy differs from spec";
}
