import { createHash } from "node:crypto";
import { crc32 as zlibCrc32 } from "node:zlib";

/** The flexible checksums S3 accepts (`x-amz-checksum-<name>`), by their S3 algorithm name. */
export type ChecksumAlgorithm = "CRC32" | "CRC32C" | "CRC64NVME" | "SHA1" | "SHA256";

export const checksumAlgorithms: readonly ChecksumAlgorithm[] = [
  "CRC32",
  "CRC32C",
  "CRC64NVME",
  "SHA1",
  "SHA256",
];

/** Byte length of each algorithm's binary digest; a header of another length is malformed. */
const digestLength: Record<ChecksumAlgorithm, number> = {
  CRC32: 4,
  CRC32C: 4,
  CRC64NVME: 8,
  SHA1: 20,
  SHA256: 32,
};

/** `x-amz-checksum-crc32` → `CRC32`; undefined for anything else. */
export function algorithmFromHeader(name: string): ChecksumAlgorithm | undefined {
  const lower = name.toLowerCase();
  if (!lower.startsWith("x-amz-checksum-")) return undefined;
  return parseAlgorithm(lower.slice("x-amz-checksum-".length));
}

/** Parses an algorithm name case-insensitively (`crc32c`, `CRC32C`). */
export function parseAlgorithm(name: string): ChecksumAlgorithm | undefined {
  const upper = name.toUpperCase();
  return (checksumAlgorithms as readonly string[]).includes(upper) ? (upper as ChecksumAlgorithm) : undefined;
}

/** The response/request header that carries a checksum, e.g. `x-amz-checksum-crc32`. */
export function checksumHeader(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

/** Whether a base64 value has the right shape for the algorithm (S3 rejects others with InvalidRequest). */
export function isWellFormedChecksum(algorithm: ChecksumAlgorithm, base64: string): boolean {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) return false;
  return Buffer.from(base64, "base64").length === digestLength[algorithm];
}

/** Computes a checksum as S3 reports it: the big-endian binary digest, base64-encoded. */
export function computeChecksum(algorithm: ChecksumAlgorithm, data: Uint8Array): string {
  const checksum = createChecksum(algorithm);
  checksum.update(data);
  return checksum.digest();
}

/** A checksum computed piece by piece, as a body streams in. */
export interface IncrementalChecksum {
  update(data: Uint8Array): void;
  /** The base64 digest of everything updated so far (call once). */
  digest(): string;
}

/** An incremental checksum; `computeChecksum(a, x)` equals update(x) then digest(). */
export function createChecksum(algorithm: ChecksumAlgorithm): IncrementalChecksum {
  switch (algorithm) {
    case "SHA1":
    case "SHA256": {
      const hash = createHash(algorithm === "SHA1" ? "sha1" : "sha256");
      return { update: (data) => hash.update(data), digest: () => hash.digest("base64") };
    }
    case "CRC32": {
      let crc = 0;
      return {
        update: (data) => {
          crc = zlibCrc32(data, crc);
        },
        digest: () => uint32(crc).toString("base64"),
      };
    }
    case "CRC32C": {
      let crc = 0;
      return {
        update: (data) => {
          crc = crc32c(data, crc);
        },
        digest: () => uint32(crc).toString("base64"),
      };
    }
    case "CRC64NVME": {
      const state = { h: 0, l: 0 };
      return {
        update: (data) => crc64nvmeUpdate(state, data),
        digest: () => crc64Digest(state).toString("base64"),
      };
    }
  }
}

/**
 * The composite checksum of a multipart upload: the algorithm applied to the concatenated binary part
 * checksums, with `-<part count>` appended.
 */
export function compositeChecksum(algorithm: ChecksumAlgorithm, partChecksums: readonly string[]): string {
  const joined = Buffer.concat(partChecksums.map((value) => Buffer.from(value, "base64")));
  return `${computeChecksum(algorithm, joined)}-${partChecksums.length}`;
}

function uint32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out;
}

const crc32cTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), reflected, as S3 uses it; `previous` continues an earlier result (like zlib's crc32). */
function crc32c(data: Uint8Array, previous = 0): number {
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) {
    crc = (crc32cTable[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

// CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5); the 64-bit state is kept as two 32-bit halves
// because BigInt arithmetic per byte is two orders of magnitude slower.
const crc64Tables = (() => {
  const hi = new Uint32Array(256);
  const lo = new Uint32Array(256);
  const polyHi = 0x9a6c9329;
  const polyLo = 0xac4bc9b5;
  for (let n = 0; n < 256; n++) {
    let h = 0;
    let l = n;
    for (let k = 0; k < 8; k++) {
      const lsb = l & 1;
      l = ((l >>> 1) | ((h & 1) << 31)) >>> 0;
      h = h >>> 1;
      if (lsb) {
        h = (h ^ polyHi) >>> 0;
        l = (l ^ polyLo) >>> 0;
      }
    }
    hi[n] = h;
    lo[n] = l;
  }
  return { hi, lo };
})();

/** Continues a CRC-64/NVME over `data`; `state` holds the finished (xored-out) value so far, 0 to start. */
function crc64nvmeUpdate(state: { h: number; l: number }, data: Uint8Array): void {
  let h = (state.h ^ 0xffffffff) >>> 0;
  let l = (state.l ^ 0xffffffff) >>> 0;
  const { hi, lo } = crc64Tables;
  for (let i = 0; i < data.length; i++) {
    const index = (l ^ (data[i] as number)) & 0xff;
    l = (((l >>> 8) | (h << 24)) ^ (lo[index] as number)) >>> 0;
    h = ((h >>> 8) ^ (hi[index] as number)) >>> 0;
  }
  state.h = (h ^ 0xffffffff) >>> 0;
  state.l = (l ^ 0xffffffff) >>> 0;
}

function crc64Digest(state: { h: number; l: number }): Buffer {
  const out = Buffer.alloc(8);
  out.writeUInt32BE(state.h, 0);
  out.writeUInt32BE(state.l, 4);
  return out;
}

/** Hex MD5 of a body: S3's ETag for single-part objects. */
export function md5Hex(data: Uint8Array): string {
  return createHash("md5").update(data).digest("hex");
}

/** The multipart ETag: MD5 of the concatenated binary part MD5s, then `-<part count>`. */
export function multipartEtag(partEtags: readonly string[]): string {
  const joined = Buffer.concat(partEtags.map((etag) => Buffer.from(etag, "hex")));
  return `${md5Hex(joined)}-${partEtags.length}`;
}
