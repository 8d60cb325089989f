import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { useEngine } from "../helpers/engine.ts";

/**
 * S3's declared routes over real HTTP: a request naming a sub-resource its method does not serve is 405
 * MethodNotAllowed, never the plain bucket or object operation of that method. Under the hand router (703d476)
 * `DELETE /<bucket>?versioning` deleted the bucket and `PUT /<bucket>/<key>?uploadId=…` (no partNumber)
 * overwrote the object. The embedded engine's rule only: LocalStack's router matches an S3 request by its path
 * and method first (op_router.py), so it is not run against an external endpoint.
 */
describe.skipIf(process.env.PIPELINE_E2E_ENDPOINT)("S3 routes: sub-resources another method serves", () => {
  const target = useEngine();
  const auth =
    "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00";
  const send = (method: string, path: string, body?: string) =>
    fetch(`${target.endpoint}${path}`, {
      method,
      headers: { authorization: auth },
      ...(body ? { body } : {}),
    });

  beforeAll(async () => {
    await target.clients.s3.send(new CreateBucketCommand({ Bucket: "routes-empty" }));
    await target.clients.s3.send(new CreateBucketCommand({ Bucket: "routes-objects" }));
    await target.clients.s3.send(
      new PutObjectCommand({ Bucket: "routes-objects", Key: "kept.txt", Body: "original" }),
    );
  });

  it("answers DELETE ?versioning on a bucket 405 and keeps the bucket", async () => {
    // Act
    const response = await send("DELETE", "/routes-empty?versioning");
    const text = await response.text();
    const head = await target.clients.s3.send(new HeadBucketCommand({ Bucket: "routes-empty" }));

    // Assess
    expect(response.status).toBe(405);
    expect(text).toContain("<Code>MethodNotAllowed</Code>");
    expect(text).toContain("<ResourceType>BUCKET</ResourceType>");
    expect(head.$metadata.httpStatusCode).toBe(200);
  });

  it("answers a PUT naming an upload without a part number 405 and keeps the object", async () => {
    // Act
    const response = await send("PUT", "/routes-objects/kept.txt?uploadId=not-a-part", "overwritten");
    const text = await response.text();
    const object = await target.clients.s3.send(
      new GetObjectCommand({ Bucket: "routes-objects", Key: "kept.txt" }),
    );

    // Assess
    expect(response.status).toBe(405);
    expect(text).toContain("<ResourceType>OBJECT</ResourceType>");
    expect(await object.Body?.transformToString()).toBe("original");
  });
});
