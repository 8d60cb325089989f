import { describe, expect, it } from "vitest";
import { newOpaqueId, newVersionId } from "../../src/engine/s3/objects.ts";

describe("S3's generated ids (upload ids, version ids)", () => {
  it("never begin with '-', which the AWS CLI reads as an option (`--version-id -abc`, `--upload-id -abc`)", () => {
    const enabled = { versioning: "Enabled" } as Parameters<typeof newVersionId>[0];
    const ids = Array.from({ length: 5000 }, (_, i) => (i % 2 === 0 ? newOpaqueId() : newVersionId(enabled)));
    expect(ids.filter((id) => id === undefined || id.startsWith("-"))).toEqual([]);
    for (const id of ids.slice(0, 50)) expect(id).toMatch(/^[A-Za-z0-9._]{32}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
