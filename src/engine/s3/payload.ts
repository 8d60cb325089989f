import type { IncomingHttpHeaders } from "node:http";
import { AwsChunkedError, decodeAwsChunked, isAwsChunked } from "./aws-chunked.ts";
import {
  algorithmFromHeader,
  type ChecksumAlgorithm,
  checksumHeader,
  computeChecksum,
  isWellFormedChecksum,
  md5Hex,
  parseAlgorithm,
} from "./checksums.ts";
import { invalidRequest, S3Error } from "./errors.ts";
import type { StoredChecksum } from "./storage/records.ts";

/** A request body after transfer framing is removed and its integrity checked. */
export interface RequestPayload {
  data: Buffer;
  /** MD5 hex of `data`. */
  md5: string;
  /** The flexible checksum the client sent (verified) or asked for (computed). */
  checksum?: StoredChecksum;
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * Decodes the body (aws-chunked framing included) and verifies `Content-MD5` and any `x-amz-checksum-*`
 * header or trailer, with S3's error codes: InvalidDigest for a malformed MD5, BadDigest for a mismatch,
 * InvalidRequest for malformed checksum values, IncompleteBody for a wrong decoded length.
 */
export function readPayload(
  headers: IncomingHttpHeaders,
  body: Buffer,
  options: { checksums?: boolean } = {},
): RequestPayload {
  let data = body;
  let trailers: Record<string, string> = {};
  if (isAwsChunked(header(headers, "x-amz-content-sha256"), header(headers, "content-encoding"))) {
    try {
      ({ data, trailers } = decodeAwsChunked(body));
    } catch (error) {
      if (error instanceof AwsChunkedError) {
        throw new S3Error(
          400,
          "InvalidRequest",
          `Invalid aws-chunked body: ${error.message}`,
          {},
          { cause: error },
        );
      }
      throw error;
    }
    const declared = header(headers, "x-amz-decoded-content-length");
    if (declared !== undefined && Number(declared) !== data.length) {
      throw new S3Error(
        400,
        "IncompleteBody",
        "You did not provide the number of bytes specified by the Content-Length HTTP header",
      );
    }
  }
  const md5 = md5Hex(data);
  verifyContentMd5(header(headers, "content-md5"), md5);
  if (options.checksums === false) return { data, md5 };
  const checksum = verifyChecksum(headers, trailers, data);
  return checksum ? { data, md5, checksum } : { data, md5 };
}

function verifyContentMd5(contentMd5: string | undefined, md5: string): void {
  if (contentMd5 === undefined) return;
  const decoded = Buffer.from(contentMd5, "base64");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(contentMd5) || decoded.length !== 16) {
    throw new S3Error(400, "InvalidDigest", "The Content-MD5 you specified was invalid.", {
      "Content-MD5": contentMd5,
    });
  }
  if (decoded.toString("hex") !== md5) {
    throw new S3Error(400, "BadDigest", "The Content-MD5 you specified did not match what we received.", {
      ExpectedDigest: decoded.toString("hex"),
      CalculatedDigest: Buffer.from(md5, "hex").toString("base64"),
    });
  }
}

/**
 * The one `x-amz-checksum-<algorithm>` header (or trailer) a request carries, well-formed; undefined when
 * none. Composite values (`…-N`, on CompleteMultipartUpload) are allowed when `composite` is set.
 */
export function suppliedChecksum(
  headers: IncomingHttpHeaders,
  trailers: Record<string, string> = {},
): { algorithm: ChecksumAlgorithm; value: string } | undefined {
  const supplied: Array<{ algorithm: ChecksumAlgorithm; value: string }> = [];
  for (const source of [headers, trailers]) {
    for (const [name, raw] of Object.entries(source)) {
      const algorithm = algorithmFromHeader(name);
      const value = Array.isArray(raw) ? raw[0] : raw;
      if (algorithm && value !== undefined) supplied.push({ algorithm, value: value.trim() });
    }
  }
  if (supplied.length > 1) {
    throw invalidRequest(
      "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
    );
  }
  const given = supplied[0];
  if (given && !isWellFormedChecksum(given.algorithm, given.value.replace(/-\d+$/, ""))) {
    throw invalidRequest(`Value for ${checksumHeader(given.algorithm)} header is invalid.`);
  }
  return given;
}

function verifyChecksum(
  headers: IncomingHttpHeaders,
  trailers: Record<string, string>,
  data: Buffer,
): StoredChecksum | undefined {
  const given = suppliedChecksum(headers, trailers);
  if (given) {
    if (/-\d+$/.test(given.value)) {
      throw invalidRequest(`Value for ${checksumHeader(given.algorithm)} header is invalid.`);
    }
    if (computeChecksum(given.algorithm, data) !== given.value) {
      throw new S3Error(
        400,
        "BadDigest",
        `The ${given.algorithm} you specified did not match the calculated checksum.`,
      );
    }
    return { algorithm: given.algorithm, value: given.value, type: "FULL_OBJECT" };
  }
  const declaredName =
    header(headers, "x-amz-sdk-checksum-algorithm") ?? header(headers, "x-amz-checksum-algorithm");
  const trailer = header(headers, "x-amz-trailer");
  if (trailer !== undefined && algorithmFromHeader(trailer.trim())) {
    throw invalidRequest(`The trailer ${trailer} was declared but not sent.`);
  }
  if (declaredName === undefined) return undefined;
  const declared = parseAlgorithm(declaredName);
  if (!declared) throw invalidRequest(`Checksum algorithm provided is unsupported: ${declaredName}`);
  return { algorithm: declared, value: computeChecksum(declared, data), type: "FULL_OBJECT" };
}
