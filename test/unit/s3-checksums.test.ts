import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  algorithmFromHeader,
  compositeChecksum,
  computeChecksum,
  isWellFormedChecksum,
  multipartEtag,
} from "../../src/engine/s3/checksums.ts";

const check = Buffer.from("123456789");
const hexToBase64 = (hex: string) => Buffer.from(hex, "hex").toString("base64");

describe("Function: computeChecksum", () => {
  it.each([
    ["CRC32", "cbf43926"],
    ["CRC32C", "e3069283"],
    ["CRC64NVME", "ae8b14860a799888"],
  ] as const)("computes the %s check value of '123456789'", (algorithm, hex) => {
    expect(computeChecksum(algorithm, check)).toBe(hexToBase64(hex));
  });

  it("computes SHA1 and SHA256 as base64 digests", () => {
    expect(computeChecksum("SHA1", check)).toBe(createHash("sha1").update(check).digest("base64"));
    expect(computeChecksum("SHA256", check)).toBe(createHash("sha256").update(check).digest("base64"));
  });

  it("checksums empty input", () => {
    expect(computeChecksum("CRC32", Buffer.alloc(0))).toBe("AAAAAA==");
  });
});

describe("Function: isWellFormedChecksum", () => {
  it("requires base64 of the algorithm's digest length", () => {
    expect(isWellFormedChecksum("CRC32", "y/Q5Jg==")).toBe(true);
    expect(isWellFormedChecksum("CRC32", "y/Q5Jg8=")).toBe(false);
    expect(isWellFormedChecksum("CRC64NVME", "y/Q5Jg==")).toBe(false);
    expect(isWellFormedChecksum("SHA256", "not base64!")).toBe(false);
  });
});

describe("Function: algorithmFromHeader", () => {
  it("maps checksum headers and ignores the other x-amz-checksum-* headers", () => {
    expect(algorithmFromHeader("x-amz-checksum-crc32c")).toBe("CRC32C");
    expect(algorithmFromHeader("X-Amz-Checksum-SHA256")).toBe("SHA256");
    expect(algorithmFromHeader("x-amz-checksum-mode")).toBeUndefined();
    expect(algorithmFromHeader("x-amz-checksum-algorithm")).toBeUndefined();
    expect(algorithmFromHeader("x-amz-checksum-type")).toBeUndefined();
  });
});

describe("Function: multipartEtag", () => {
  it("is the MD5 of the concatenated binary part MD5s with the part count", () => {
    const parts = [Buffer.from("part one"), Buffer.from("part two")];
    const digests = parts.map((part) => createHash("md5").update(part).digest());
    const expected = `${createHash("md5").update(Buffer.concat(digests)).digest("hex")}-2`;

    expect(multipartEtag(digests.map((digest) => digest.toString("hex")))).toBe(expected);
  });
});

describe("Function: compositeChecksum", () => {
  it("checksums the concatenated binary part checksums and appends the part count", () => {
    const parts = ["y/Q5Jg==", "AAAAAA=="];
    const joined = Buffer.concat(parts.map((part) => Buffer.from(part, "base64")));

    expect(compositeChecksum("CRC32", parts)).toBe(`${computeChecksum("CRC32", joined)}-2`);
  });
});
