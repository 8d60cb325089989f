import { describe, expect, it } from "vitest";
import { FilterPatternError } from "../../src/engine/logs/errors.ts";
import { compileFilterPattern } from "../../src/engine/logs/filter-pattern.ts";

const json = (value: unknown) => JSON.stringify(value);

describe("Function: compileFilterPattern", () => {
  const cases: Array<{ pattern: string | undefined; message: string; expected: boolean }> = [
    { pattern: undefined, message: "anything", expected: true },
    { pattern: "   ", message: "anything", expected: true },
    { pattern: "ERROR", message: "[ERROR] boom", expected: true },
    { pattern: "ERROR", message: "[error] boom", expected: false },
    { pattern: "ERROR timeout", message: "ERROR: request timeout", expected: true },
    { pattern: "ERROR timeout", message: "ERROR: request failed", expected: false },
    { pattern: '"disk full"', message: "warning: disk full on /", expected: true },
    { pattern: '"disk full"', message: "full disk", expected: false },
    { pattern: "?ERROR ?WARN", message: "WARN low memory", expected: true },
    { pattern: "?ERROR ?WARN", message: "INFO all good", expected: false },
    { pattern: "ERROR -retrying", message: "ERROR giving up", expected: true },
    { pattern: "ERROR -retrying", message: "ERROR retrying", expected: false },
    { pattern: '{ $.outcome = "duplicate" }', message: json({ outcome: "duplicate" }), expected: true },
    { pattern: '{ $.outcome = "duplicate" }', message: json({ outcome: "stored" }), expected: false },
    { pattern: '{ $.outcome = "duplicate" }', message: "outcome duplicate (not JSON)", expected: false },
    { pattern: "{ $.outcome = duplicate }", message: json({ outcome: "duplicate" }), expected: true },
    { pattern: '{ $.outcome != "stored" }', message: json({ outcome: "duplicate" }), expected: true },
    { pattern: '{ $.key = "photos/*" }', message: json({ key: "photos/cat.jpg" }), expected: true },
    { pattern: '{ $.key = "photos/*" }', message: json({ key: "docs/cat.jpg" }), expected: false },
    { pattern: "{ $.durationMs > 100 }", message: json({ durationMs: 250 }), expected: true },
    { pattern: "{ $.durationMs > 100 }", message: json({ durationMs: 50 }), expected: false },
    { pattern: "{ $.durationMs <= 50 }", message: json({ durationMs: 50 }), expected: true },
    { pattern: "{ $.durationMs = 50 }", message: json({ durationMs: "50" }), expected: false },
    {
      pattern: '{ $.image.width >= 1024 && $.image.format = "png" }',
      message: json({ image: { width: 2048, format: "png" } }),
      expected: true,
    },
    {
      pattern: '{ $.image.width >= 1024 && $.image.format = "png" }',
      message: json({ image: { width: 2048, format: "jpeg" } }),
      expected: false,
    },
    {
      pattern: '{ ($.level = "ERROR" || $.retry IS TRUE) && $.attempt > 1 }',
      message: json({ level: "INFO", retry: true, attempt: 2 }),
      expected: true,
    },
    {
      pattern: '{ ($.level = "ERROR" || $.retry IS TRUE) && $.attempt > 1 }',
      message: json({ level: "INFO", retry: false, attempt: 2 }),
      expected: false,
    },
    { pattern: "{ $.tags[1] = b }", message: json({ tags: ["a", "b"] }), expected: true },
    {
      pattern: '{ $.records[*].s3 = "x" }',
      message: json({ records: [{ s3: "y" }, { s3: "x" }] }),
      expected: true,
    },
    { pattern: "{ $.error NOT EXISTS }", message: json({ ok: true }), expected: true },
    { pattern: "{ $.error NOT EXISTS }", message: json({ error: null }), expected: false },
    { pattern: "{ $.error IS NULL }", message: json({ error: null }), expected: true },
    { pattern: "{ $.cold IS FALSE }", message: json({ cold: false }), expected: true },
    { pattern: "%ERROR|WARN%", message: "WARN disk", expected: true },
    { pattern: "%^START RequestId%", message: "END RequestId: 1", expected: false },
  ];

  it.each(cases)("$pattern on $message → $expected", ({ pattern, message, expected }) => {
    expect(compileFilterPattern(pattern)(message)).toBe(expected);
  });

  it.each([
    '{ $.a = "x"',
    "{ a = 1 }",
    '{ $.a < "x" }',
    '"unterminated',
    "[ip, user]",
    "{ $.a IS MAYBE }",
    "%(%",
  ])("rejects %s", (pattern) => {
    expect(() => compileFilterPattern(pattern)).toThrow(FilterPatternError);
  });
});
