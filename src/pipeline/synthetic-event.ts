import { randomBytes } from "node:crypto";
import { buildS3Event, type S3Event } from "../events/s3-event.ts";

/**
 * An ObjectCreated event in exactly the shape S3 sends (event version 2.1), for re-driving the function
 * (`reconcile`, verify's idempotency probe, the dashboard's re-drive button).
 */
export function syntheticObjectCreatedEvent(input: {
  region: string;
  bucket: string;
  key: string;
  etag: string;
  size: number;
  configurationId: string;
  sequencer?: string;
  eventTime?: Date;
  /** The version to re-drive, on a versioned bucket (the function then reads exactly that version). */
  versionId?: string;
}): S3Event {
  return buildS3Event(
    {
      eventName: "ObjectCreated:Put",
      bucket: input.bucket,
      key: input.key,
      size: input.size,
      eTag: input.etag,
      sequencer: input.sequencer ?? Date.now().toString(16).toUpperCase().padStart(16, "0"),
      eventTime: (input.eventTime ?? new Date()).toISOString(),
      requestId: randomBytes(8).toString("hex").toUpperCase(),
      sourceIp: "127.0.0.1",
      principalId: "pipeline-reconcile",
      ...(input.versionId ? { versionId: input.versionId } : {}),
    },
    { region: input.region, configurationId: input.configurationId, bucketOwnerId: "pipeline-reconcile" },
  );
}
