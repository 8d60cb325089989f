import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { REFUSED_HEAD_BYTES, RefusedHeadScan } from "../../src/engine/edge-protocol.ts";

/** Feeds `head` cut at `cuts` (byte offsets), as packets arrive. */
function scanInPackets(head: string, cuts: number[]): RefusedHeadScan {
  const bytes = Buffer.from(head, "latin1");
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const scan = new RefusedHeadScan();
  let from = 0;
  for (const to of [...points, bytes.length]) {
    scan.feed(bytes.subarray(from, to));
    from = to;
  }
  return scan;
}

const headerLine = fc.oneof(
  fc.constantFrom("Host: 127.0.0.1:4566", "Content-Type: application/x-amz-json-1.1", "Content-Length: 2"),
  fc.string({ maxLength: 40 }).map((value) => `X-Other: ${value.replace(/[\r\n]/g, "")}`),
);

describe("RefusedHeadScan: what a refused head names, however it arrives", () => {
  it("finds the target and the credential scope whatever packets the head is cut into", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40_000 }),
        fc.array(headerLine, { maxLength: 5 }),
        fc.array(headerLine, { maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.boolean(),
        (urlLength, before, after, cuts, bareNewlines) => {
          const lines = [
            `POST /?${"a".repeat(urlLength)} HTTP/1.1`,
            ...before,
            "X-Amz-Target: Logs_20140328.PutLogEvents",
            "Authorization: AWS4-HMAC-SHA256 Credential=test/20261206/us-east-1/logs/aws4_request, SignedHeaders=host, Signature=0",
            ...after,
            "",
            "{}",
          ];
          const scan = scanInPackets(lines.join(bareNewlines ? "\n" : "\r\n"), cuts);
          expect(scan.names).toEqual({ target: "Logs_20140328.PutLogEvents", scope: "logs" });
          expect(scan.settled).toBe(true);
        },
      ),
    );
  });

  it("starts anywhere before the naming lines, as Node hands over only the packet it refused: a line ending there is not the head's end (CI's seed -1056241250)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20_000 }),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.boolean(),
        (fillerLength, startAt, cuts, bareNewlines) => {
          const newline = bareNewlines ? "\n" : "\r\n";
          const before = ["POST / HTTP/1.1", `X-Filler: ${"f".repeat(fillerLength)}`].join(newline) + newline;
          const head = `${before}X-Amz-Target: Logs_20140328.PutLogEvents${newline}Host: x${newline}${newline}{}`;
          // The packets the parser saw before the one it refused are gone: the scan starts at `start`.
          const start = startAt % (before.length + 1);
          const scan = scanInPackets(head.slice(start), cuts);
          expect(scan.names).toEqual({ target: "Logs_20140328.PutLogEvents" });
          expect(scan.settled).toBe(true);
        },
      ),
    );
    // The counterexample: the refused packet begins with the CRLF that ends the request line.
    const refused = scanInPackets("\r\nX-Filler: f\r\nX-Amz-Target: Logs_20140328.PutLogEvents\r\n\r\n", []);
    expect([refused.complete, refused.names]).toEqual([true, { target: "Logs_20140328.PutLogEvents" }]);
  });

  it("reads past the blank line for nothing, and stays unsettled while the head is unfinished", () => {
    const unfinished = scanInPackets(`POST /?${"a".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n`, [7_000]);
    expect([unfinished.settled, unfinished.names]).toEqual([false, {}]);

    const ended = scanInPackets(
      "POST / HTTP/1.1\r\nHost: x\r\n\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\n",
      [],
    );
    expect([ended.settled, ended.complete, ended.names]).toEqual([true, true, {}]);
  });

  it("keeps no line longer than its bound: a target inside an overlong line is not one, and the head's bytes settle it", () => {
    const scan = new RefusedHeadScan();
    scan.feed(Buffer.from(`X-Long: ${"b".repeat(20_000)}`));
    scan.feed(Buffer.from("X-Amz-Target: inside-the-long-line\r\nHost: x\r\n"));
    expect([scan.settled, scan.names]).toEqual([false, {}]);

    const endless = new RefusedHeadScan();
    const packet = Buffer.alloc(64 * 1024, "a");
    let fed = 0;
    while (!endless.settled) {
      endless.feed(packet);
      fed += packet.length;
    }
    expect(fed).toBeGreaterThan(REFUSED_HEAD_BYTES);
    expect(fed).toBeLessThanOrEqual(REFUSED_HEAD_BYTES + packet.length);
  });
});
