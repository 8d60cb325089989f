import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";
import { headerValue } from "../headers.ts";
import { AwsChunkedDecoder, AwsChunkedError, isAwsChunked } from "./aws-chunked.ts";
import {
  algorithmFromHeader,
  type ChecksumAlgorithm,
  checksumHeader,
  createChecksum,
  type IncrementalChecksum,
  isWellFormedChecksum,
  parseAlgorithm,
} from "./checksums.ts";
import { invalidRequest, S3Error } from "./errors.ts";
import type { BlobStore } from "./storage/blobs.ts";
import type { BlobSegment, StoredChecksum } from "./storage/records.ts";

/** A request body after transfer framing is removed and its integrity checked. */
export interface RequestPayload {
  data: Buffer;
  /** MD5 hex of `data`. */
  md5: string;
  /** The flexible checksum the client sent (verified) or asked for (computed). */
  checksum?: StoredChecksum;
}

/**
 * Decodes the body (aws-chunked framing included) and verifies `Content-MD5` and any `x-amz-checksum-*`
 * header or trailer, with S3's error codes: InvalidDigest for a malformed MD5, BadDigest for a mismatch,
 * InvalidRequest for malformed checksum values, IncompleteBody for a wrong decoded length.
 */
export function readPayload(headers: IncomingHttpHeaders, body: Buffer): RequestPayload {
  const reader = new PayloadReader(headers);
  const pieces = reader.push(body);
  const data = pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces);
  const { md5, checksum } = reader.end();
  return checksum ? { data, md5, checksum } : { data, md5 };
}

/** A request body stored in the blob store: where it went and what it was. */
export interface StoredPayload {
  segment: BlobSegment;
  size: number;
  md5: string;
  checksum?: StoredChecksum;
  /** The digest of `alsoCompute`, when asked for. */
  extraChecksum?: string;
}

export interface StorePayloadOptions {
  /** Bodies over this many (decoded) bytes fail with EntityTooLarge. */
  maxBytes: number;
  /** A checksum to compute besides the ones the headers announce (a multipart upload's algorithm). */
  alsoCompute?: ChecksumAlgorithm;
}

/**
 * Writes a request body to the blob store as it arrives (the request's `bodyStream`, or its buffered `body`),
 * with framing removed, computing MD5 and the checksums in the same pass, then verifies them as
 * {@link readPayload} does. On a failed check the stored segment is released again.
 */
export async function storePayload(
  blobs: Pick<BlobStore, "writeStream" | "release">,
  headers: IncomingHttpHeaders,
  body: Readable | Buffer,
  options: StorePayloadOptions,
): Promise<StoredPayload> {
  const { maxBytes, alsoCompute } = options;
  const declared = Number(
    headerValue(headers, "x-amz-decoded-content-length") ?? headerValue(headers, "content-length"),
  );
  if (declared > maxBytes) throw entityTooLarge(declared, maxBytes);
  const reader = new PayloadReader(headers, alsoCompute);
  let segment: BlobSegment;
  try {
    segment = await blobs.writeStream(decodedPieces(body, reader, maxBytes));
  } catch (error) {
    if (error instanceof S3Error) throw error;
    if (!Buffer.isBuffer(body) && body.destroyed) {
      throw new S3Error(
        400,
        "IncompleteBody",
        "You did not provide the number of bytes specified by the Content-Length HTTP header",
        {},
        { cause: error },
      );
    }
    throw error;
  }
  try {
    const { md5, checksum } = reader.end();
    const stored: StoredPayload = { segment, size: reader.size, md5 };
    if (checksum) stored.checksum = checksum;
    if (alsoCompute) stored.extraChecksum = reader.digest(alsoCompute) as string;
    return stored;
  } catch (error) {
    blobs.release([segment]);
    throw error;
  }
}

/**
 * The body's pieces with framing removed, as the reader hashes them, refused past `maxBytes`. A module function,
 * not a generator made per upload: run from source, tsx names every named closure as it is made.
 */
async function* decodedPieces(
  body: Readable | Buffer,
  reader: PayloadReader,
  maxBytes: number,
): AsyncGenerator<Buffer> {
  for await (const piece of Buffer.isBuffer(body) ? [body] : body) {
    for (const data of reader.push(piece as Buffer)) {
      if (reader.size > maxBytes) throw entityTooLarge(reader.size, maxBytes);
      yield data;
    }
  }
}

const entityTooLarge = (size: number, maxBytes: number) =>
  new S3Error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", {
    ProposedSize: String(size),
    MaxSizeAllowed: String(maxBytes),
  });

/**
 * Removes transfer framing from body pieces and hashes what remains; `end` checks the result against the
 * headers and trailers. The checksum algorithms are known from the headers before the body (a header value,
 * `x-amz-trailer` or `x-amz-sdk-checksum-algorithm`), so each is computed in the same pass.
 */
class PayloadReader {
  readonly #headers: IncomingHttpHeaders;
  readonly #decoder: AwsChunkedDecoder | undefined;
  readonly #md5 = createHash("md5");
  readonly #checksums = new Map<ChecksumAlgorithm, IncrementalChecksum>();
  /** Each checksum's digest, once taken (a hash's digest can be taken only once). */
  readonly #digests = new Map<ChecksumAlgorithm, string>();
  /** The request's `x-amz-checksum-<algorithm>` headers, read once: announced before the body, verified after. */
  readonly #supplied: SuppliedChecksum[];
  size = 0;

  constructor(headers: IncomingHttpHeaders, alsoCompute?: ChecksumAlgorithm) {
    this.#headers = headers;
    if (isAwsChunked(headerValue(headers, "x-amz-content-sha256"), headerValue(headers, "content-encoding")))
      this.#decoder = new AwsChunkedDecoder();
    this.#supplied = checksumsIn(headers);
    const algorithms = announcedAlgorithms(headers, this.#supplied);
    if (alsoCompute) algorithms.add(alsoCompute);
    for (const algorithm of algorithms) this.#checksums.set(algorithm, createChecksum(algorithm));
  }

  push(piece: Buffer): Buffer[] {
    const data = this.#decoder
      ? this.#chunked(() => (this.#decoder as AwsChunkedDecoder).push(piece))
      : [piece];
    for (const part of data) {
      this.size += part.length;
      this.#md5.update(part);
      for (const checksum of this.#checksums.values()) checksum.update(part);
    }
    return data;
  }

  /** The body's checksum by `algorithm`, once the body has ended; undefined for one not computed. */
  digest(algorithm: ChecksumAlgorithm): string | undefined {
    let digest = this.#digests.get(algorithm);
    if (digest === undefined) {
      digest = this.#checksums.get(algorithm)?.digest();
      if (digest !== undefined) this.#digests.set(algorithm, digest);
    }
    return digest;
  }

  end(): { md5: string; checksum?: StoredChecksum } {
    let trailers: Record<string, string> = {};
    if (this.#decoder) {
      trailers = this.#chunked(() => (this.#decoder as AwsChunkedDecoder).end());
      const declared = headerValue(this.#headers, "x-amz-decoded-content-length");
      if (declared !== undefined && Number(declared) !== this.size) {
        throw new S3Error(
          400,
          "IncompleteBody",
          "You did not provide the number of bytes specified by the Content-Length HTTP header",
        );
      }
    }
    const md5 = this.#md5.digest("hex");
    verifyContentMd5(headerValue(this.#headers, "content-md5"), md5);
    const checksum = verifyChecksum(this.#headers, [...this.#supplied, ...checksumsIn(trailers)], this);
    return checksum ? { md5, checksum } : { md5 };
  }

  #chunked<T>(step: () => T): T {
    try {
      return step();
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
  }
}

/** Checksum algorithms the headers name before the body: a value header, a declared trailer, or the SDK's pick. */
function announcedAlgorithms(
  headers: IncomingHttpHeaders,
  supplied: readonly SuppliedChecksum[],
): Set<ChecksumAlgorithm> {
  const algorithms = new Set(supplied.map(({ algorithm }) => algorithm));
  const trailer = headerValue(headers, "x-amz-trailer");
  for (const name of (trailer ?? "").split(",")) {
    const algorithm = algorithmFromHeader(name.trim());
    if (algorithm) algorithms.add(algorithm);
  }
  const declared =
    headerValue(headers, "x-amz-sdk-checksum-algorithm") ?? headerValue(headers, "x-amz-checksum-algorithm");
  const parsed = declared === undefined ? undefined : parseAlgorithm(declared);
  if (parsed) algorithms.add(parsed);
  return algorithms;
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

/** Checks the one checksum `supplied` (in the headers, then the trailers) or the declared algorithm's. */
function verifyChecksum(
  headers: IncomingHttpHeaders,
  supplied: readonly SuppliedChecksum[],
  computed: Pick<PayloadReader, "digest">,
): StoredChecksum | undefined {
  const given = single(supplied);
  if (given) {
    if (!isWellFormedChecksum(given.algorithm, given.value)) {
      throw invalidRequest(`Value for ${checksumHeader(given.algorithm)} header is invalid.`);
    }
    const actual = computed.digest(given.algorithm);
    if (actual === undefined) {
      throw invalidRequest(`The trailer ${checksumHeader(given.algorithm)} was sent but not declared.`);
    }
    if (actual !== given.value) {
      throw new S3Error(
        400,
        "BadDigest",
        `The ${given.algorithm} you specified did not match the calculated checksum.`,
      );
    }
    return { algorithm: given.algorithm, value: given.value, type: "FULL_OBJECT" };
  }
  const declaredName =
    headerValue(headers, "x-amz-sdk-checksum-algorithm") ?? headerValue(headers, "x-amz-checksum-algorithm");
  const trailer = headerValue(headers, "x-amz-trailer");
  if (trailer !== undefined && algorithmFromHeader(trailer.trim())) {
    throw invalidRequest(`The trailer ${trailer} was declared but not sent.`);
  }
  if (declaredName === undefined) return undefined;
  const declared = parseAlgorithm(declaredName);
  if (!declared) throw invalidRequest(`Checksum algorithm provided is unsupported: ${declaredName}`);
  return { algorithm: declared, value: computed.digest(declared) as string, type: "FULL_OBJECT" };
}

/**
 * The one `x-amz-checksum-<algorithm>` header a request carries, well-formed; undefined when none. Composite
 * values (`…-N`, as CompleteMultipartUpload names a whole-object checksum) pass the format check.
 */
export function suppliedChecksum(
  headers: IncomingHttpHeaders,
): { algorithm: ChecksumAlgorithm; value: string } | undefined {
  const given = single(checksumsIn(headers));
  if (given && !isWellFormedChecksum(given.algorithm, given.value.replace(/-\d+$/, ""))) {
    throw invalidRequest(`Value for ${checksumHeader(given.algorithm)} header is invalid.`);
  }
  return given;
}

/** The headers without `x-amz-checksum-*`: for a body those checksums do not describe (Complete's XML). */
export function withoutChecksumHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => algorithmFromHeader(name) === undefined),
  );
}

interface SuppliedChecksum {
  algorithm: ChecksumAlgorithm;
  value: string;
}

/** The `x-amz-checksum-<algorithm>` values among headers or trailers. */
function checksumsIn(source: Record<string, string | string[] | undefined>): SuppliedChecksum[] {
  const supplied: SuppliedChecksum[] = [];
  for (const name in source) {
    const algorithm = algorithmFromHeader(name);
    const raw = source[name];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (algorithm && value !== undefined) supplied.push({ algorithm, value: value.trim() });
  }
  return supplied;
}

/** The one checksum supplied; S3 refuses more than one. */
function single(supplied: readonly SuppliedChecksum[]): SuppliedChecksum | undefined {
  if (supplied.length > 1) {
    throw invalidRequest(
      "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
    );
  }
  return supplied[0];
}
