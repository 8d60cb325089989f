import { describe, expect, it } from "vitest";
import { encodeS3EventKey } from "../../src/events/s3-event.ts";
import { decodeS3Key } from "../../src/function/s3-event.ts";
import { syntheticObjectCreatedEvent } from "../../src/pipeline/synthetic-event.ts";
import { allAdversarialKeys } from "../helpers/adversarial-keys.ts";

const keys = allAdversarialKeys("uploads/keys/");

describe("Function: decodeS3Key on adversarial keys", () => {
  it("covers at least 100 keys", () => {
    expect(keys.length).toBeGreaterThanOrEqual(100);
  });

  it.each(keys)("decodes the engine's event encoding of %j back to the same bytes", (key) => {
    // Act
    const decoded = decodeS3Key(encodeS3EventKey(key));
    // Assess
    expect(Buffer.from(decoded, "utf8").equals(Buffer.from(key, "utf8"))).toBe(true);
  });

  it.each(keys)("encodes %j for re-drives (reconcile) exactly as S3 events do", (key) => {
    // Act
    const synthetic = syntheticObjectCreatedEvent({
      region: "us-east-1",
      bucket: "b",
      key,
      etag: "e",
      size: 1,
      configurationId: "c",
    });
    // Assess: a re-driven event and a delivered one carry the same key text.
    expect(synthetic.Records[0]?.s3.object.key).toBe(encodeS3EventKey(key));
  });
});
