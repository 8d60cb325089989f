import { describe, expect, it } from "vitest";
import { S3Error } from "../../src/engine/s3/errors.ts";
import { isMidnightUtc, validateLifecycle } from "../../src/engine/s3/lifecycle.ts";

const doc = (...rules: string[]) =>
  Buffer.from(
    `<LifecycleConfiguration>${rules.map((rule) => `<Rule>${rule}</Rule>`).join("")}</LifecycleConfiguration>`,
  );
const rule = (extra: string, id = "<ID>r1</ID>") =>
  `${id}<Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status>${extra}`;

function refusal(body: Buffer): { status: number; code: string; message: string } {
  try {
    validateLifecycle(body, () => "generated");
  } catch (error) {
    if (error instanceof S3Error) return { status: error.status, code: error.code, message: error.message };
    throw error;
  }
  throw new Error("accepted");
}

describe("S3 lifecycle validation (AWS's codes and messages)", () => {
  it("assigns an ID to a rule sent without one and keeps the rest as sent", () => {
    const stored = validateLifecycle(
      doc(rule("<Expiration><Days>30</Days></Expiration>", "")),
      () => "gen-1",
    );
    expect(stored).toContain("<ID>gen-1</ID>");
    expect(stored).toContain("<Expiration><Days>30</Days></Expiration>");
    expect(stored).toContain("<Filter><Prefix>logs/</Prefix></Filter>");
  });

  it("refuses two rules with one ID (InvalidArgument)", () => {
    const expiration = "<Expiration><Days>1</Days></Expiration>";
    expect(refusal(doc(rule(expiration), rule(expiration)))).toEqual({
      status: 400,
      code: "InvalidArgument",
      message: "RuleId must be unique. Found same ID for more than one rule.",
    });
  });

  it("refuses Days: 0 and negative days (InvalidArgument)", () => {
    for (const days of ["0", "-3"])
      expect(refusal(doc(rule(`<Expiration><Days>${days}</Days></Expiration>`)))).toMatchObject({
        code: "InvalidArgument",
        message: "'Days' for Expiration action must be a positive integer",
      });
  });

  it("refuses a Date that is not midnight UTC (InvalidArgument) and accepts one that is", () => {
    expect(refusal(doc(rule("<Expiration><Date>2030-01-01T12:00:00Z</Date></Expiration>")))).toMatchObject({
      code: "InvalidArgument",
      message: "'Date' must be at midnight GMT",
    });
    expect(refusal(doc(rule("<Expiration><Date>2030-02-30T00:00:00Z</Date></Expiration>"))).code).toBe(
      "InvalidArgument",
    );
    expect(() =>
      validateLifecycle(doc(rule("<Expiration><Date>2030-01-01T00:00:00.000Z</Date></Expiration>"))),
    ).not.toThrow();
    expect(isMidnightUtc("2030-01-01T00:00:00Z")).toBe(true);
    expect(isMidnightUtc("2030-01-01T00:00:01Z")).toBe(false);
    expect(isMidnightUtc("tomorrow")).toBe(false);
  });

  it("refuses Prefix with Filter, neither, and a Filter with two conditions (MalformedXML)", () => {
    const both = "<ID>a</ID><Prefix>x</Prefix><Filter><Prefix>y</Prefix></Filter><Status>Enabled</Status>";
    const neither = "<ID>a</ID><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>";
    const two =
      "<ID>a</ID><Filter><Prefix>y</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status>";
    for (const body of [both, neither, two]) expect(refusal(doc(body)).code).toBe("MalformedXML");
  });

  it("refuses an ID over 255 characters, a bad Status, no rules and more than 1,000 rules", () => {
    expect(refusal(doc(rule("", `<ID>${"a".repeat(256)}</ID>`)))).toMatchObject({
      code: "InvalidArgument",
      message: "ID length should not exceed allowed limit of 255",
    });
    expect(refusal(doc("<ID>a</ID><Filter/><Status>On</Status>")).code).toBe("MalformedXML");
    expect(refusal(doc()).code).toBe("MalformedXML");
    const many = Array.from({ length: 1001 }, (_, index) => rule("", `<ID>r${index}</ID>`));
    expect(refusal(doc(...many)).code).toBe("MalformedXML");
    expect(() => validateLifecycle(doc(...many.slice(0, 1000)))).not.toThrow();
  });

  it("refuses duplicate tag keys in an And filter (InvalidRequest)", () => {
    const tags = "<Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value></Tag>";
    const body = `<ID>a</ID><Filter><And><Prefix>p</Prefix>${tags}</And></Filter><Status>Enabled</Status>`;
    expect(refusal(doc(body))).toMatchObject({
      code: "InvalidRequest",
      message: "Duplicate Tag Keys are not allowed.",
    });
  });
});
