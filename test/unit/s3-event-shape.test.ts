import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ObjectCreatedEvent } from "../../src/engine/types.ts";
import { buildS3Event } from "../../src/events/s3-event.ts";
import { shapeOf } from "../helpers/events.ts";

const sample: unknown = JSON.parse(
  readFileSync(new URL("../fixtures/events/aws-s3-put-sample.json", import.meta.url), "utf8"),
);

const created: ObjectCreatedEvent = {
  eventName: "ObjectCreated:Put",
  bucket: "photos",
  key: "uploads/red flower.jpg",
  size: 2048,
  eTag: '"d41d8cd98f00b204e9800998ecf8427e"',
  sequencer: "0062E99A88DC407460",
  eventTime: "2026-11-25T12:00:00.000Z",
  requestId: "C3D13FE58DE4C810",
  sourceIp: "127.0.0.1",
  principalId: "AWS:AIDAJDPLRKLG7UEXAMPLE",
};

describe("Function: buildS3Event", () => {
  it("has the same keys and value types as AWS's published S3 put sample, recursively", () => {
    // Prepare
    const source = { region: "us-east-1", configurationId: "on-upload", bucketOwnerId: "A3NL1KOZZKExample" };

    // Act
    const event = buildS3Event(created, source);

    // Assess
    expect(shapeOf(JSON.parse(JSON.stringify(event)))).toEqual(shapeOf(sample));
  });

  it("fills each field from the S3 event and the notification", () => {
    // Prepare
    const source = {
      region: "eu-west-1",
      configurationId: "on-upload",
      bucketOwnerId: "OWNER",
      hostId: "HOST",
    };

    // Act
    const [record] = buildS3Event(created, source).Records;

    // Assess
    expect(record).toEqual({
      eventVersion: "2.1",
      eventSource: "aws:s3",
      awsRegion: "eu-west-1",
      eventTime: "2026-11-25T12:00:00.000Z",
      eventName: "ObjectCreated:Put",
      userIdentity: { principalId: "AWS:AIDAJDPLRKLG7UEXAMPLE" },
      requestParameters: { sourceIPAddress: "127.0.0.1" },
      responseElements: { "x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "HOST" },
      s3: {
        s3SchemaVersion: "1.0",
        configurationId: "on-upload",
        bucket: { name: "photos", ownerIdentity: { principalId: "OWNER" }, arn: "arn:aws:s3:::photos" },
        object: {
          key: "uploads/red+flower.jpg",
          size: 2048,
          eTag: "d41d8cd98f00b204e9800998ecf8427e",
          sequencer: "0062E99A88DC407460",
        },
      },
    });
  });

  it("includes versionId only when the object has one", () => {
    // Prepare
    const source = { region: "us-east-1", configurationId: "c", bucketOwnerId: "o" };

    // Act
    const unversioned = buildS3Event(created, source).Records[0]?.s3.object;
    const versioned = buildS3Event({ ...created, versionId: "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY" }, source)
      .Records[0]?.s3.object;

    // Assess
    expect(unversioned).not.toHaveProperty("versionId");
    expect(versioned?.versionId).toBe("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY");
  });
});
