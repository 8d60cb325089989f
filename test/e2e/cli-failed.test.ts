import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/artifact/paths.ts";
import type { FailedEventView } from "../../src/engine/control.ts";
import { stripETagQuotes } from "../../src/function/record.ts";
import { waitForRecord } from "../../src/pipeline/records.ts";
import { defineStack } from "../../src/stack/spec.ts";
import { parseJson, runCli, useCliCleanup } from "../helpers/cli.ts";
import { externalEndpoint, useEngine } from "../helpers/engine.ts";
import { eventually, provisionPipeline, setExecutionPolicy, withoutAction } from "../helpers/pipeline.ts";

const stack = defineStack();

// The failed-event list is the embedded engine's (AWS keeps failed async events only in a DLQ or destination).
describe.skipIf(externalEndpoint)("CLI: pipeline failed", () => {
  const target = useEngine({ lambda: { retryBaseDelayMs: 20 } });
  useCliCleanup();
  const cli = (...args: string[]) => runCli(["--endpoint", target.endpoint, "--json", ...args]);

  beforeAll(async () => {
    await provisionPipeline(target.clients, stack);
  });

  it("lists an event that failed after its retries, and --redrive-all writes its record once the role is fixed", async () => {
    const empty = await cli("failed");
    expect(empty.code, empty.stderr).toBe(0);
    expect(parseJson<{ events: unknown[] }>(empty).events).toEqual([]);

    await setExecutionPolicy(target.clients, stack, withoutAction("dynamodb:PutItem"));
    const key = "uploads/failed cli.jpg";
    const put = await target.clients.s3.send(
      new PutObjectCommand({
        Bucket: stack.bucket,
        Key: key,
        Body: readFileSync(join(repoRoot, "fixtures/cat.jpg")),
      }),
    );
    const listed = await eventually("the failed event in `pipeline failed`", async () => {
      const events = parseJson<{ events: FailedEventView[] }>(await cli("failed")).events;
      return events.find((e) => e.keys.includes(key));
    });
    expect(listed.attempts).toBe(3);
    expect(listed.errorMessage).toContain("dynamodb:PutItem");

    await setExecutionPolicy(target.clients, stack);
    const redrive = await cli("failed", "--redrive-all");
    expect(redrive.code, redrive.stderr).toBe(0);
    expect(parseJson<{ redriven: string[] }>(redrive).redriven).toEqual([listed.id]);
    const record = await waitForRecord(target.clients, stack, key, stripETagQuotes(put.ETag ?? ""), {
      timeoutMs: 15_000,
    });
    expect(record?.item.key).toBe(key);
    expect(parseJson<{ events: unknown[] }>(await cli("failed")).events).toEqual([]);
  });

  it("exits 2 for an unknown id and for conflicting flags", async () => {
    const unknown = await cli("failed", "--redrive", "no-such-id");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no failed event with id no-such-id");
    const both = await cli("failed", "--redrive", "x", "--redrive-all");
    expect(both.code).toBe(2);
  });
});
