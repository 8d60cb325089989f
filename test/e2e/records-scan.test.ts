import { randomBytes } from "node:crypto";
import { CreateTableCommand, DeleteTableCommand, waitUntilTableExists } from "@aws-sdk/client-dynamodb";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listRecords } from "../../src/dashboard/records.ts";
import { scanRecords, scanRecordsUpTo } from "../../src/pipeline/records.ts";
import { defineStack, tableDefinition } from "../../src/stack/spec.ts";
import { useEngine } from "../helpers/engine.ts";

// The records panel's scan stops near its limit, so a live view never reads a whole large table per refresh.
describe("records scan with a limit", () => {
  const target = useEngine();
  const stack = defineStack({ table: `records-scan-${randomBytes(3).toString("hex")}` });
  const count = 30;

  beforeAll(async () => {
    await target.clients.dynamodb.send(new CreateTableCommand(tableDefinition(stack)));
    await waitUntilTableExists(
      { client: target.clients.dynamodb, maxWaitTime: 60 },
      { TableName: stack.table },
    );
    for (let i = 0; i < count; i++) {
      const key = `uploads/${String(i).padStart(2, "0")}.jpg`;
      await target.clients.documents.send(
        new PutCommand({
          TableName: stack.table,
          Item: {
            PK: `IMG#${stack.bucket}#${key}`,
            SK: `META#${i}`,
            bucket: stack.bucket,
            key,
            etag: String(i),
            size: i,
            contentType: "application/octet-stream",
            processedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
            eventTime: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
          },
        }),
      );
    }
  });
  afterAll(async () => {
    await target.clients.dynamodb.send(new DeleteTableCommand({ TableName: stack.table })).catch(() => {});
  });

  it("reads exactly up to the limit and says the scan was not complete", async () => {
    const capped = await scanRecordsUpTo(target.clients, stack, 12);
    const all = await scanRecordsUpTo(target.clients, stack, 100);

    expect(capped.items).toHaveLength(12);
    expect(capped.complete).toBe(false);
    expect(all.items).toHaveLength(count);
    expect(all.complete).toBe(true);
    expect(await scanRecords(target.clients, stack)).toHaveLength(count);
  });

  it("gives the records panel the newest of what it scanned, the count, and whether that was everything", async () => {
    const capped = await listRecords(target.clients, stack, { limit: 5, scanLimit: 12 });
    const whole = await listRecords(target.clients, stack, { limit: 5, scanLimit: 1000 });

    expect(capped).toMatchObject({ total: 12, complete: false });
    expect(capped.records).toHaveLength(5);
    expect(whole).toMatchObject({ total: count, complete: true });
    expect(whole.records.map((r) => r.key)).toEqual([
      "uploads/29.jpg",
      "uploads/28.jpg",
      "uploads/27.jpg",
      "uploads/26.jpg",
      "uploads/25.jpg",
    ]);
    // Not an image: no presigned thumbnail.
    expect(whole.records[0]?.thumbnailUrl).toBeUndefined();
  });
});
