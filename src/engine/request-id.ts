import { randomBytes } from "node:crypto";

/**
 * The prefix of this process's request ids: 74 random bits drawn once, laid out as the first four groups of a
 * version 4 UUID (the version digit `4`, the variant digit one of `89ab`).
 */
const prefix = ((hex: string) =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(12, 15)}-${"89ab"[Number.parseInt(hex[15] as string, 16) & 3]}${hex.slice(16, 19)}-`)(
  randomBytes(10).toString("hex"),
);
let issued = 0;

/**
 * A request id, shaped as AWS's `x-amzn-RequestId` (a UUID): the process's random prefix and a counter, so ids are
 * unique within the engine and, with 2^74 prefixes, across its restarts. Ids label answers, logs and activity and are
 * never secrets, so they need no fresh randomness each: `crypto.randomUUID()` per request was about 1 µs of a
 * 1 KiB S3 GET's CPU in a profile on Node 24 (docs/benchmarks.md, fifteenth session).
 */
export function newRequestId(): string {
  issued++;
  return prefix + issued.toString(16).padStart(12, "0");
}
