import { randomBytes } from "node:crypto";
import { encodeS3EventKey } from "../function/s3-event.ts";

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
}): { Records: Array<Record<string, unknown>> } {
  const requestId = randomBytes(8).toString("hex").toUpperCase();
  return {
    Records: [
      {
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: input.region,
        eventTime: (input.eventTime ?? new Date()).toISOString(),
        eventName: "ObjectCreated:Put",
        userIdentity: { principalId: "pipeline-reconcile" },
        requestParameters: { sourceIPAddress: "127.0.0.1" },
        responseElements: { "x-amz-request-id": requestId, "x-amz-id-2": randomBytes(24).toString("base64") },
        s3: {
          s3SchemaVersion: "1.0",
          configurationId: input.configurationId,
          bucket: {
            name: input.bucket,
            ownerIdentity: { principalId: "pipeline-reconcile" },
            arn: `arn:aws:s3:::${input.bucket}`,
          },
          object: {
            key: encodeS3EventKey(input.key),
            size: input.size,
            eTag: input.etag,
            sequencer: input.sequencer ?? Date.now().toString(16).toUpperCase().padStart(16, "0"),
          },
        },
      },
    ],
  };
}
