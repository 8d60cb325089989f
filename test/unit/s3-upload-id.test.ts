import { describe, expect, it } from "vitest";
import { newUploadId } from "../../src/engine/s3/multipart.ts";

describe("multipart upload ids", () => {
  it("never begin with '-', which the AWS CLI reads as an option (`--upload-id -abc`)", () => {
    const ids = Array.from({ length: 5000 }, () => newUploadId());
    expect(ids.filter((id) => id.startsWith("-"))).toEqual([]);
    for (const id of ids.slice(0, 50)) expect(id).toMatch(/^[A-Za-z0-9._]{32}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
