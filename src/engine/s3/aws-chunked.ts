/**
 * Decoding of `Content-Encoding: aws-chunked` bodies, which SigV4 streaming uploads use
 * (`x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER`, `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`):
 *
 *   <hex size>[;chunk-signature=<sig>]\r\n<data>\r\n … 0[;chunk-signature=<sig>]\r\n[<trailer>:<value>\r\n]*\r\n
 *
 * Chunk and trailer signatures are not verified (like LocalStack); the framing and lengths are.
 */

/** Raised for bodies whose framing does not follow the aws-chunked format. */
export class AwsChunkedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AwsChunkedError";
  }
}

export interface AwsChunkedPayload {
  data: Buffer;
  /** Trailing headers, lower-cased names (e.g. `x-amz-checksum-crc32`), without `x-amz-trailer-signature`. */
  trailers: Record<string, string>;
}

const CRLF = Buffer.from("\r\n");

/** Whether the request body uses aws-chunked framing, judged by the headers the SDKs send with it. */
export function isAwsChunked(
  contentSha256: string | undefined,
  contentEncoding: string | undefined,
): boolean {
  if (contentSha256?.startsWith("STREAMING-")) return true;
  return (contentEncoding ?? "").split(",").some((part) => part.trim().toLowerCase() === "aws-chunked");
}

/**
 * Decodes an aws-chunked body into its payload and trailers.
 *
 * @example decodeAwsChunked(Buffer.from("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n"))
 *   // { data: <abc>, trailers: { "x-amz-checksum-crc32": "NSRBwg==" } }
 */
export function decodeAwsChunked(body: Buffer): AwsChunkedPayload {
  const chunks: Buffer[] = [];
  let total = 0;
  let position = 0;
  for (;;) {
    const lineEnd = body.indexOf(CRLF, position);
    if (lineEnd === -1) throw new AwsChunkedError("chunk header is not terminated by CRLF");
    const header = body.subarray(position, lineEnd).toString("latin1");
    const sizeText = (header.split(";")[0] ?? "").trim();
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw new AwsChunkedError(`invalid chunk size '${sizeText}'`);
    const size = Number.parseInt(sizeText, 16);
    position = lineEnd + 2;
    if (size === 0) break;
    if (position + size + 2 > body.length)
      throw new AwsChunkedError("chunk is shorter than its declared size");
    chunks.push(body.subarray(position, position + size));
    total += size;
    position += size;
    if (body[position] !== 0x0d || body[position + 1] !== 0x0a) {
      throw new AwsChunkedError("chunk data is not followed by CRLF");
    }
    position += 2;
  }
  const trailers = parseTrailers(body, position);
  return { data: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total), trailers };
}

function parseTrailers(body: Buffer, start: number): Record<string, string> {
  const trailers: Record<string, string> = {};
  let position = start;
  while (position < body.length) {
    let lineEnd = body.indexOf(CRLF, position);
    // Some clients end the last trailer without the final empty line; accept the remainder as a line.
    if (lineEnd === -1) lineEnd = body.length;
    const line = body.subarray(position, lineEnd).toString("utf8");
    position = lineEnd + 2;
    if (line === "") break;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new AwsChunkedError(`invalid trailer line '${line}'`);
    const name = line.slice(0, colon).trim().toLowerCase();
    if (name !== "x-amz-trailer-signature") trailers[name] = line.slice(colon + 1).trim();
  }
  return trailers;
}

/** Removes `aws-chunked` from a Content-Encoding value; undefined when nothing else remains. */
export function stripAwsChunkedEncoding(contentEncoding: string | undefined): string | undefined {
  if (contentEncoding === undefined) return undefined;
  const parts = contentEncoding.split(",").map((part) => part.trim());
  const rest = parts.filter((part) => part !== "" && part.toLowerCase() !== "aws-chunked");
  // Stored as sent (`deflate, gzip` stays so) unless aws-chunked, a transfer framing, had to be taken out.
  if (rest.length === parts.length) return contentEncoding;
  return rest.length === 0 ? undefined : rest.join(", ");
}
