import { describe, expect, it } from "vitest";
import {
  EMBEDDED,
  LocalStackConfigError,
  likeLocalStack,
  retryBaseDelayMs,
} from "../../src/engine/like-localstack.ts";

describe("like-localstack: LocalStack community's behaviour, one table", () => {
  it("reads LAMBDA_RETRY_BASE_DELAY in whole seconds with LocalStack's default of 60", () => {
    expect(retryBaseDelayMs(undefined)).toBe(60_000);
    // `int(os.getenv("LAMBDA_RETRY_BASE_DELAY") or 60)`: an empty value is the default too.
    expect(retryBaseDelayMs("")).toBe(60_000);
    expect(retryBaseDelayMs("2")).toBe(2_000);
    expect(retryBaseDelayMs(" 0 ")).toBe(0);
  });

  it("refuses what Python's int() refuses (LocalStack would not start), naming the variable", () => {
    for (const value of ["2s", "1.5", "two", "-1"]) {
      expect(() => retryBaseDelayMs(value), value).toThrow(LocalStackConfigError);
      expect(() => retryBaseDelayMs(value), value).toThrow(/^LAMBDA_RETRY_BASE_DELAY=/);
    }
  });

  it("does not read the Python constant's name, which LocalStack does not read either", () => {
    expect(likeLocalStack({ LAMBDA_RETRY_BASE_DELAY_SECONDS: "2" }).lambdaRetryBaseDelayMs).toBe(60_000);
    expect(likeLocalStack({ LAMBDA_RETRY_BASE_DELAY: "2" }).lambdaRetryBaseDelayMs).toBe(2_000);
  });

  it("turns off IAM, Logs filter patterns and the engine's own routes; says community 4.14.0", () => {
    expect(likeLocalStack({})).toEqual({
      edition: "community",
      version: "4.14.0",
      enforceIam: false,
      logsFilterPatterns: false,
      engineRoutes: false,
      lambdaRetryBaseDelayMs: 60_000,
    });
    expect(EMBEDDED).toMatchObject({ edition: "embedded", enforceIam: true, logsFilterPatterns: true });
  });
});
