import { InvokeCommand } from "@aws-sdk/client-lambda";
import type { AwsClients } from "../aws/clients.ts";
import type { Stack } from "../stack/spec.ts";
import { type ConsistencyReport, compareObjectsAndRecords, type StoredObject } from "./consistency.ts";
import { listObjectVersions } from "./objects.ts";
import { scanRecords } from "./records.ts";
import { syntheticObjectCreatedEvent } from "./synthetic-event.ts";

/** Reads both sides and compares them. */
export async function checkConsistency(clients: AwsClients, stack: Stack): Promise<ConsistencyReport> {
  const [objects, records] = await Promise.all([
    listObjectVersions(clients, stack.bucket, stack.uploadPrefix),
    scanRecords(clients, stack),
  ]);
  return compareObjectsAndRecords(objects, records, stack.bucket);
}

export interface RedriveResult {
  object: StoredObject;
  ok: boolean;
  error?: string;
  /** The invocation's request ID (Lambda's x-amzn-RequestId), to find its log lines. */
  requestId?: string;
}

/** Invokes the function synchronously with an S3-shaped event for one object; the conditional write makes it safe. */
export async function redriveObject(
  clients: AwsClients,
  stack: Stack,
  object: StoredObject,
): Promise<RedriveResult> {
  const event = syntheticObjectCreatedEvent({
    region: stack.region,
    bucket: stack.bucket,
    key: object.key,
    etag: object.etag,
    size: object.size,
    configurationId: stack.notification.id,
    ...(object.versionId ? { versionId: object.versionId } : {}),
  });
  const response = await clients.lambda.send(
    new InvokeCommand({
      FunctionName: stack.functionName,
      InvocationType: "RequestResponse",
      Payload: Buffer.from(JSON.stringify(event)),
    }),
  );
  const requestId = response.$metadata.requestId;
  const id = requestId ? { requestId } : {};
  if (response.FunctionError) {
    const payload = response.Payload ? Buffer.from(response.Payload).toString("utf8") : "";
    let message = payload;
    try {
      const parsed = JSON.parse(payload) as { errorType?: string; errorMessage?: string };
      message = `${parsed.errorType ?? "Error"}: ${parsed.errorMessage ?? ""}`;
    } catch {
      // keep the raw payload
    }
    return { object, ok: false, error: message, ...id };
  }
  return { object, ok: true, ...id };
}
