import { describe, expect, it } from "vitest";
import { resolveOperation } from "../../src/engine/s3/operations.ts";

const get = (query: string, key?: string) =>
  resolveOperation(
    "GET",
    { bucket: "b", ...(key === undefined ? {} : { key }), virtualHosted: false },
    new URLSearchParams(query),
    {},
  );

describe("Function: resolveOperation", () => {
  it("takes each operation's IAM action and resource kind from the one access table", () => {
    // Act
    const list = get("list-type=2");
    const object = get("", "k");
    const cors = get("cors");

    // Assess
    expect(list).toEqual({ name: "ListObjectsV2", action: "s3:ListBucket", onObject: false });
    expect(object).toEqual({ name: "GetObject", action: "s3:GetObject", onObject: true });
    expect(cors).toEqual({ name: "GetBucketCors", action: "s3:GetBucketCORS", onObject: false });
  });

  it("switches to the version action when versionId names a version, and leaves form uploads unchecked", () => {
    // Act
    const version = get("versionId=v1", "k");
    const tagging = get("tagging&versionId=v1", "k");
    const form = resolveOperation("POST", { bucket: "b", virtualHosted: false }, new URLSearchParams(), {});

    // Assess
    expect(version.action).toBe("s3:GetObjectVersion");
    expect(tagging.action).toBe("s3:GetObjectVersionTagging");
    expect(form).toEqual({ name: "PostObject", onObject: false });
  });
});
