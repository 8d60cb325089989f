import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { InvokeCommand, LogType } from "@aws-sdk/client-lambda";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { repoRoot } from "../artifact/paths.ts";
import type { AwsClients } from "../aws/clients.ts";
import { partitionKey, sortKey, stripETagQuotes } from "../function/record.ts";
import type { CheckResult } from "../stack/check.ts";
import type { Stack } from "../stack/spec.ts";
import { compareObjectsAndRecords } from "./consistency.ts";
import { lastFunctionError } from "./function-failure.ts";
import { fetchLogEvents, parseJsonLogLine } from "./logs.ts";
import { listObjectVersions } from "./objects.ts";
import { recordsForKey, scanRecords, waitForRecord } from "./records.ts";
import { syntheticObjectCreatedEvent } from "./synthetic-event.ts";

const ep = "--endpoint-url $AWS_ENDPOINT_URL";
const plural = (n: number, noun: string, nouns = `${noun}s`) => `${n} ${n === 1 ? noun : nouns}`;

/**
 * Live probe (seed evidence 08, 11, 12, 13): uploads a fixture under a unique key, waits for its record,
 * and finds the function's log lines for it.
 */
export async function liveProbe(
  clients: Pick<AwsClients, "s3" | "documents" | "logs">,
  stack: Stack,
  options: { timeoutMs: number },
): Promise<{ results: CheckResult[]; probe?: { key: string; etag: string; size: number } }> {
  const key = `${stack.uploadPrefix}verify-probe/${new Date().toISOString().replace(/[:.]/g, "-")}-cat.jpg`;
  const body = await readFile(join(repoRoot, "fixtures/cat.jpg"));
  const startedAt = Date.now();
  const put = await clients.s3.send(
    new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body, ContentType: "image/jpeg" }),
  );
  const etag = stripETagQuotes(put.ETag ?? "");
  const results: CheckResult[] = [
    {
      id: "upload",
      evidence: "11",
      title: "Upload a test image",
      ok: etag !== "",
      observed: `s3://${stack.bucket}/${key} ETag ${etag} SSE ${put.ServerSideEncryption ?? "none"}`,
      expected: "PutObject acknowledged",
      command: `aws s3 cp fixtures/cat.jpg s3://${stack.bucket}/${key} ${ep}`,
    },
  ];
  const found = await waitForRecord(clients, stack, key, etag, { timeoutMs: options.timeoutMs });
  // No record: the function's own error for the probe object says why (an injected fault, a denied call, …).
  const functionError = found ? undefined : await lastFunctionError(clients, stack, key, startedAt);
  results.push({
    id: "record",
    evidence: "13",
    title: "DynamoDB record for the upload",
    ok: Boolean(found) && found?.item.size === body.length && found.item.contentType === "image/jpeg",
    observed: found
      ? `${found.item.PK} ${found.item.SK} size ${found.item.size} ${found.item.contentType} sse ${found.item.sse} after ${Math.round(found.waitedMs)} ms`
      : `no record after ${options.timeoutMs / 1000} s${functionError ? `; the function failed: ${functionError}` : ""}`,
    expected: `PK ${partitionKey(stack.bucket, key)}, SK ${sortKey(etag)}, size ${body.length}, image/jpeg`,
    command: `aws dynamodb get-item --table-name ${stack.table} --key '{"PK":{"S":"${partitionKey(stack.bucket, key)}"},"SK":{"S":"${sortKey(etag)}"}}' ${ep}`,
  });
  // Logs arrive after the record; give them a few seconds (CloudWatch is eventually consistent on AWS too).
  let lines: string[] = [];
  const logDeadline = Date.now() + Math.min(options.timeoutMs, 15_000);
  let invocationLines: string[] = [];
  do {
    const events = await fetchLogEvents(clients, stack.logGroupName, { startTime: startedAt - 1000 });
    lines = events.map((e) => e.message).filter((m) => m.includes(key));
    const requestId = found?.item.requestId;
    invocationLines = requestId ? events.map((e) => e.message).filter((m) => m.includes(requestId)) : [];
    if (lines.length > 0 && invocationLines.some((m) => m.startsWith("REPORT"))) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  } while (Date.now() < logDeadline);
  const written = lines.find((m) => m.includes('"written"'));
  results.push({
    id: "logs",
    evidence: "08, 12",
    title: "Function logs show the object processed",
    ok:
      Boolean(written) &&
      invocationLines.some((m) => m.startsWith("START")) &&
      invocationLines.some((m) => m.startsWith("REPORT")),
    observed: written
      ? `${plural(lines.length, "line")} for the key; ${plural(invocationLines.filter((m) => /^(START|END|REPORT)/.test(m)).length, "START/END/REPORT line")}`
      : "no log line with outcome written for the key",
    expected: `a JSON line with outcome "written" for ${key}, and START/END/REPORT of its invocation in ${stack.logGroupName}`,
    command: `aws logs filter-log-events --log-group-name ${stack.logGroupName} --filter-pattern '"verify-probe"' ${ep}`,
  });
  return { results, probe: { key, etag, size: body.length } };
}

/**
 * Idempotency probe (seed evidence 14): invokes the function again with the identical event, then with two
 * copies in one batch; the item count for the PK must not change and the logs must say `duplicate`.
 */
export async function idempotencyProbe(
  clients: Pick<AwsClients, "lambda" | "documents">,
  stack: Stack,
  probe: { key: string; etag: string; size: number },
): Promise<CheckResult> {
  const before = (await recordsForKey(clients, stack, probe.key)).length;
  const event = syntheticObjectCreatedEvent({
    region: stack.region,
    bucket: stack.bucket,
    key: probe.key,
    etag: probe.etag,
    size: probe.size,
    configurationId: stack.notification.id,
  });
  const batch = { Records: [...event.Records, ...event.Records] };
  const tails: string[] = [];
  const results: Array<Record<string, unknown>> = [];
  for (const payload of [event, batch]) {
    const response = await clients.lambda.send(
      new InvokeCommand({
        FunctionName: stack.functionName,
        InvocationType: "RequestResponse",
        LogType: LogType.Tail,
        Payload: Buffer.from(JSON.stringify(payload)),
      }),
    );
    tails.push(Buffer.from(response.LogResult ?? "", "base64").toString("utf8"));
    const text = response.Payload ? Buffer.from(response.Payload).toString("utf8") : "{}";
    results.push({
      ...(JSON.parse(text || "{}") as Record<string, unknown>),
      functionError: response.FunctionError,
    });
  }
  const after = (await recordsForKey(clients, stack, probe.key)).length;
  // Per-record lines only: each invocation's summary line also carries a "duplicate" count, which is not one.
  const duplicateLines = tails
    .join("\n")
    .split("\n")
    .filter(
      (line) => parseJsonLogLine(line.slice(Math.max(0, line.indexOf("{"))))?.outcome === "duplicate",
    ).length;
  const ok =
    before === 1 &&
    after === 1 &&
    results[0]?.duplicate === 1 &&
    results[1]?.duplicate === 2 &&
    !results.some((r) => r.functionError) &&
    duplicateLines === 3;
  return {
    id: "idempotency",
    evidence: "14",
    title: "Duplicate deliveries do not create records",
    ok,
    observed: `items for PK before ${before}, after ${after}; invoke 1 duplicate=${results[0]?.duplicate}, batch of 2 duplicate=${results[1]?.duplicate}; ${plural(duplicateLines, "log line")} with outcome duplicate`,
    expected:
      "1 item before and after; duplicate=1 then duplicate=2; 3 log lines with outcome duplicate; no function error",
    command: `aws lambda invoke --function-name ${stack.functionName} --payload fileb://event.json --log-type Tail out.json ${ep}`,
  };
}

/** Consistency (item 8): every object has exactly one record for its ETag, no record points at nothing. */
export async function consistencyCheck(
  clients: Pick<AwsClients, "s3" | "documents">,
  stack: Stack,
): Promise<{ result: CheckResult; missing: string[]; orphans: string[] }> {
  const [objects, records] = await Promise.all([
    listObjectVersions(clients, stack.bucket, stack.uploadPrefix),
    scanRecords(clients, stack),
  ]);
  const report = compareObjectsAndRecords(objects, records, stack.bucket);
  const missing = report.missingRecords.map((o) => o.key);
  const orphans = report.orphanRecords.map((o) => o.key);
  const problems = [
    ...missing.map((k) => `no record: ${k}`),
    ...orphans.map((k) => `record without object: ${k}`),
  ];
  return {
    result: {
      id: "consistency",
      evidence: "—",
      title: "Every object has its record, every record its object",
      ok: problems.length === 0,
      observed: problems.length
        ? `${plural(problems.length, "mismatch", "mismatches")}: ${problems.slice(0, 10).join("; ")}${problems.length > 10 ? "; …" : ""}`
        : `${report.objects} objects in ${report.versions} versions, ${report.records} records (${report.historicalRecords} of earlier versions)`,
      expected: "0 object versions without a record for their ETag, 0 records without an object",
      command: `aws s3api list-object-versions --bucket ${stack.bucket} --prefix ${stack.uploadPrefix} ${ep}; aws dynamodb scan --table-name ${stack.table} ${ep}`,
    },
    missing,
    orphans,
  };
}
