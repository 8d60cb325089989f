import { describe, expect, it } from "vitest";
import { decodeKey, routePath } from "../../src/engine/s3/addressing.ts";
import { s3Operations } from "../../src/engine/s3/declaration.ts";
import type { S3Runtime } from "../../src/engine/s3/runtime.ts";
import { createRouter } from "../../src/engine/service/codecs/rest.ts";
import type { OperationCall } from "../../src/engine/service/declaration.ts";

// The declarations are only read here: no handler runs, so they need no runtime.
const operations = s3Operations(undefined as unknown as S3Runtime);
const router = createRouter(
  operations.map((operation) => operation.http),
  decodeKey,
);

/** The operation S3's declared routes give a request, with its IAM action, as the dispatcher decides them. */
const route = (
  method: string,
  url: string,
  headers: Record<string, string> = {},
  host = "127.0.0.1:4566",
) => {
  const [rawPath = "", query = ""] = url.split("?");
  const request = { method, rawPath, query: new URLSearchParams(query), headers, host };
  const match = router(method, routePath(host, rawPath), request.query, headers);
  if (match === undefined || "methodNotAllowed" in match) return { name: "(405)" };
  const operation = operations[match.index];
  const call = { request, labels: match.labels } as unknown as OperationCall;
  const action = typeof operation?.action === "function" ? operation.action({}, call) : operation?.action;
  return { name: operation?.name, action, labels: match.labels };
};

describe("S3's declared routes", () => {
  it("take each operation's IAM action from its declaration", () => {
    // Act
    const list = route("GET", "/b?list-type=2");
    const object = route("GET", "/b/k");
    const cors = route("GET", "/b?cors");

    // Assess
    expect(list).toMatchObject({ name: "ListObjectsV2", action: "s3:ListBucket" });
    expect(object).toMatchObject({
      name: "GetObject",
      action: "s3:GetObject",
      labels: { Bucket: "b", Key: "k" },
    });
    expect(cors).toMatchObject({ name: "GetBucketCors", action: "s3:GetBucketCORS" });
  });

  it("switch to the version action when versionId names a version, and leave form uploads unchecked", () => {
    // Act
    const version = route("GET", "/b/k?versionId=v1");
    const tagging = route("GET", "/b/k?tagging&versionId=v1");
    const form = route("POST", "/b");

    // Assess
    expect(version.action).toBe("s3:GetObjectVersion");
    expect(tagging).toMatchObject({ name: "GetObjectTagging", action: "s3:GetObjectVersionTagging" });
    expect(form).toMatchObject({ name: "PostObject", action: null });
  });

  it("tell a copy from a write by its x-amz-copy-source header, and a part from an object by its query", () => {
    // Act
    const put = route("PUT", "/b/dir/k.txt?x-id=PutObject");
    const copy = route("PUT", "/b/k", { "x-amz-copy-source": "/src/k" });
    const part = route("PUT", "/b/k?partNumber=1&uploadId=u");
    const partCopy = route("PUT", "/b/k?partNumber=1&uploadId=u", { "x-amz-copy-source": "/src/k" });
    const listParts = route("GET", "/b/k?uploadId=u");
    const complete = route("POST", "/b/k?uploadId=u");
    const create = route("POST", "/b/k?uploads");

    // Assess
    expect(put).toMatchObject({ name: "PutObject", labels: { Bucket: "b", Key: "dir/k.txt" } });
    expect(copy.name).toBe("CopyObject");
    expect(part.name).toBe("UploadPart");
    expect(partCopy.name).toBe("UploadPartCopy");
    expect(listParts.name).toBe("ListParts");
    expect(complete.name).toBe("CompleteMultipartUpload");
    expect(create.name).toBe("CreateMultipartUpload");
  });

  it("route a virtual-hosted request as its path-style twin, and a preflight on a bucket or an object", () => {
    // Act
    const hosted = route("GET", "/k%20x", {}, "photos.s3.localhost.localstack.cloud:4566");
    const bucket = route("GET", "/", {}, "photos.localhost:4566");
    const service = route("GET", "/");
    const trailing = route("HEAD", "/b/");
    // A browser preflights the request it is about to send, sub-resource and all.
    const preflights = [
      route("OPTIONS", "/b"),
      route("OPTIONS", "/b/k"),
      route("OPTIONS", "/b?list-type=2"),
      route("OPTIONS", "/b/k?uploadId=u&partNumber=1"),
    ];

    // Assess
    expect(hosted).toMatchObject({ name: "GetObject", labels: { Bucket: "photos", Key: "k x" } });
    expect(bucket).toMatchObject({ name: "ListObjects", labels: { Bucket: "photos" } });
    expect(service.name).toBe("ListBuckets");
    expect(trailing).toMatchObject({ name: "HeadBucket", labels: { Bucket: "b" } });
    expect(new Set(preflights.map(({ name }) => name))).toEqual(new Set(["PreflightCors"]));
  });

  it("never take a sub-resource another method declares for the plain bucket or object operation", () => {
    // Act: before declared routes, `DELETE /b/k?acl` was refused by hand; a route table that ignored the
    // sub-resource would delete the object.
    const deleteAcl = route("DELETE", "/b/k?acl");
    const postCors = route("POST", "/b?cors");
    const deleteVersioning = route("DELETE", "/b?versioning");
    const patch = route("PATCH", "/b");
    // A header is no resource: a GET that happens to carry x-amz-copy-source is still a GetObject.
    const getWithCopySource = route("GET", "/b/k", { "x-amz-copy-source": "/s/k" });

    // Assess
    expect([deleteAcl, postCors, deleteVersioning, patch].map(({ name }) => name)).toEqual([
      "(405)",
      "(405)",
      "(405)",
      "(405)",
    ]);
    expect(getWithCopySource.name).toBe("GetObject");
  });
});
