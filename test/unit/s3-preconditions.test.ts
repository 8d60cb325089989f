import { describe, expect, it } from "vitest";
import { evaluatePreconditions } from "../../src/engine/s3/preconditions.ts";

// S3's order, from GetObject's and HeadObject's IfMatch / IfNoneMatch members (API Reference; the SDKs' model docs
// say the same): If-Match true with If-Unmodified-Since false is 200 OK; If-None-Match false with If-Modified-Since
// true is 304 Not Modified. Dates compare at whole seconds, Last-Modified's precision.
const lastModified = "2026-12-06T10:00:00.750Z";
const etag = "abc";
const before = "Sun, 06 Dec 2026 09:59:59 GMT";
const same = "Sun, 06 Dec 2026 10:00:00 GMT";
const after = "Sun, 06 Dec 2026 10:00:01 GMT";

describe("evaluatePreconditions", () => {
  it("proceeds without conditions", () => {
    expect(evaluatePreconditions({}, etag, lastModified)).toBe("proceed");
  });

  it("If-Unmodified-Since fails only when the object changed after it, at whole seconds", () => {
    expect(evaluatePreconditions({ ifUnmodifiedSince: before }, etag, lastModified)).toBe("failed");
    expect(evaluatePreconditions({ ifUnmodifiedSince: same }, etag, lastModified)).toBe("proceed");
    expect(evaluatePreconditions({ ifUnmodifiedSince: after }, etag, lastModified)).toBe("proceed");
  });

  it("If-Modified-Since answers not-modified unless the object changed after it", () => {
    expect(evaluatePreconditions({ ifModifiedSince: before }, etag, lastModified)).toBe("proceed");
    expect(evaluatePreconditions({ ifModifiedSince: same }, etag, lastModified)).toBe("not-modified");
    expect(evaluatePreconditions({ ifModifiedSince: after }, etag, lastModified)).toBe("not-modified");
  });

  it("ignores a date it cannot parse", () => {
    expect(evaluatePreconditions({ ifModifiedSince: "yesterday" }, etag, lastModified)).toBe("proceed");
    expect(evaluatePreconditions({ ifUnmodifiedSince: "yesterday" }, etag, lastModified)).toBe("proceed");
  });

  it("If-Match outranks If-Unmodified-Since; If-None-Match outranks If-Modified-Since", () => {
    expect(
      evaluatePreconditions({ ifMatch: `"${etag}"`, ifUnmodifiedSince: before }, etag, lastModified),
    ).toBe("proceed");
    expect(evaluatePreconditions({ ifMatch: '"other"', ifUnmodifiedSince: after }, etag, lastModified)).toBe(
      "failed",
    );
    expect(
      evaluatePreconditions({ ifNoneMatch: '"other"', ifModifiedSince: after }, etag, lastModified),
    ).toBe("proceed");
    expect(evaluatePreconditions({ ifNoneMatch: "*", ifModifiedSince: before }, etag, lastModified)).toBe(
      "not-modified",
    );
  });
});
