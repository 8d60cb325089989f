import { describe, expect, it } from "vitest";
import { encodeS3EventKey } from "../../src/events/s3-event.ts";
import { decodeS3Key } from "../../src/function/s3-event.ts";

describe("Function: encodeS3EventKey", () => {
  // Keys as stored, and as S3 writes them into event records (form-URL-encoded, `/` kept).
  const table: Array<[key: string, encoded: string]> = [
    ["uploads/cat.jpg", "uploads/cat.jpg"],
    ["uploads/red flower.jpg", "uploads/red+flower.jpg"],
    ["uploads/a+b.jpg", "uploads/a%2Bb.jpg"],
    ["uploads/a+ b.jpg", "uploads/a%2B+b.jpg"],
    ["uploads/100%.png", "uploads/100%25.png"],
    ["uploads/été.gif", "uploads/%C3%A9t%C3%A9.gif"],
    ["uploads/猫.webp", "uploads/%E7%8C%AB.webp"],
    ["uploads/😺.jpg", "uploads/%F0%9F%98%BA.jpg"],
    ["uploads/(1) [2].jpg", "uploads/%281%29+%5B2%5D.jpg"],
    ["protected/us-east-1:abc/x.jpeg", "protected/us-east-1%3Aabc/x.jpeg"],
    ["dt=2018-05-04/_SUCCESS", "dt%3D2018-05-04/_SUCCESS"],
    ["a-b_c.d*e~f", "a-b_c.d*e%7Ef"],
    ["uploads/'q' \"x\"&y?z#w", "uploads/%27q%27+%22x%22%26y%3Fz%23w"],
  ];

  it.each(table)("encodes %s", (key, encoded) => {
    // Act
    const result = encodeS3EventKey(key);

    // Assess
    expect(result).toBe(encoded);
  });

  it.each(table)("round-trips %s through decodeS3Key", (key) => {
    // Act
    const result = decodeS3Key(encodeS3EventKey(key));

    // Assess
    expect(result).toBe(key);
  });
});
