import type { AwsClients } from "../aws/clients.ts";
import type { Stack } from "../stack/spec.ts";
import { type ConsistencyReport, compareObjectsAndRecords, type StoredObject } from "./consistency.ts";
import { invokeSynchronously } from "./invoke.ts";
import { listObjectVersions } from "./objects.ts";
import { scanRecords } from "./records.ts";
import { syntheticObjectCreatedEvent } from "./synthetic-event.ts";

/** Reads both sides and compares them. */
export async function checkConsistency(
  clients: Pick<AwsClients, "s3" | "documents">,
  stack: Stack,
): Promise<ConsistencyReport> {
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
  clients: Pick<AwsClients, "s3" | "lambda">,
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
  return { object, ...(await invokeSynchronously(clients, stack, event)) };
}
