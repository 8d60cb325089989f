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
  const decoder = new AwsChunkedDecoder();
  const chunks = decoder.push(body);
  const trailers = decoder.end();
  const data = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
  return { data, trailers };
}

/** Longest chunk header or trailer line accepted; framing beyond it is malformed (and would be buffered). */
const MAX_LINE_BYTES = 64 * 1024;

/**
 * An incremental aws-chunked decoder for bodies that stream in: `push` each received piece and take the payload
 * bytes it returns (views, no copies of chunk data), then `end` for the trailers. Only a partial header line is
 * ever held back, so memory stays bounded whatever the body size.
 */
export class AwsChunkedDecoder {
  #state: "header" | "data" | "data-crlf" | "trailers" | "done" = "header";
  /** Bytes of an incomplete header/trailer line or CRLF carried over to the next push. */
  #pending: Buffer = Buffer.alloc(0);
  #remaining = 0;
  readonly #trailers: Record<string, string> = {};

  push(piece: Buffer): Buffer[] {
    const out: Buffer[] = [];
    const input = this.#pending.length > 0 ? Buffer.concat([this.#pending, piece]) : piece;
    this.#pending = Buffer.alloc(0);
    let position = 0;
    while (position < input.length) {
      if (this.#state === "data") {
        const take = Math.min(this.#remaining, input.length - position);
        out.push(input.subarray(position, position + take));
        position += take;
        this.#remaining -= take;
        if (this.#remaining === 0) this.#state = "data-crlf";
        continue;
      }
      if (this.#state === "data-crlf") {
        if (input.length - position < 2) break;
        if (input[position] !== 0x0d || input[position + 1] !== 0x0a)
          throw new AwsChunkedError("chunk data is not followed by CRLF");
        position += 2;
        this.#state = "header";
        continue;
      }
      if (this.#state === "done") {
        position = input.length;
        break;
      }
      const lineEnd = input.indexOf(CRLF, position);
      if (lineEnd === -1) break;
      const line = input.subarray(position, lineEnd);
      position = lineEnd + 2;
      if (this.#state === "header") this.#header(line.toString("latin1"));
      else this.#trailer(line.toString("utf8"));
    }
    const rest = input.subarray(position);
    if (rest.length > MAX_LINE_BYTES && this.#state !== "data")
      throw new AwsChunkedError("chunk header is not terminated by CRLF");
    this.#pending = Buffer.from(rest);
    return out;
  }

  /** Ends the body; throws when it stopped inside a chunk. Returns the trailers. */
  end(): Record<string, string> {
    if (this.#state === "trailers" && this.#pending.length > 0) {
      // Some clients end the last trailer without the final empty line; accept the remainder as a line.
      this.#trailer(this.#pending.toString("utf8"));
      this.#pending = Buffer.alloc(0);
      this.#state = "done";
    }
    if (this.#state === "header") throw new AwsChunkedError("chunk header is not terminated by CRLF");
    if (this.#state === "data" || this.#state === "data-crlf")
      throw new AwsChunkedError("chunk is shorter than its declared size");
    return this.#trailers;
  }

  #header(header: string): void {
    const sizeText = (header.split(";")[0] ?? "").trim();
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw new AwsChunkedError(`invalid chunk size '${sizeText}'`);
    const size = Number.parseInt(sizeText, 16);
    if (size === 0) this.#state = "trailers";
    else {
      this.#remaining = size;
      this.#state = "data";
    }
  }

  #trailer(line: string): void {
    if (line === "") {
      this.#state = "done";
      return;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) throw new AwsChunkedError(`invalid trailer line '${line}'`);
    const name = line.slice(0, colon).trim().toLowerCase();
    if (name !== "x-amz-trailer-signature") this.#trailers[name] = line.slice(colon + 1).trim();
  }
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
