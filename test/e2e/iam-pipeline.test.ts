import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { buildFunctionArtifact } from "../../src/artifact/build.ts";
import { repoRoot } from "../../src/artifact/paths.ts";
import { stripETagQuotes } from "../../src/function/record.ts";
import type { FailedEvent } from "../../src/pipeline/failed-events.ts";
import { redriveFailedEvents } from "../../src/pipeline/failed-queue.ts";
import { fetchLogEvents } from "../../src/pipeline/logs.ts";
import { getRecord, waitForRecord } from "../../src/pipeline/records.ts";
import { provisionStack } from "../../src/stack/provision.ts";
import { defineStack } from "../../src/stack/spec.ts";
import { useEngine } from "../helpers/engine.ts";
import { queuedFailedEvents, setExecutionPolicy, withoutAction } from "../helpers/pipeline.ts";
import { eventually } from "../helpers/poll.ts";
import { targetCapabilities } from "../helpers/target.ts";

const stack = defineStack();
const body = readFileSync(join(repoRoot, "fixtures/cat.jpg"));

// IAM is enforced by the embedded engine; LocalStack community does not enforce it (ENFORCE_IAM is a paid feature),
// which the second describe checks on such a target.
describe.skipIf(!targetCapabilities.enforcesIam)(
  "IAM enforcement on the pipeline: a narrowed role fails, restoring it and re-driving fixes it",
  () => {
    const target = useEngine({ lambda: { retryBaseDelayMs: 20 } });
    beforeAll(async () => {
      await provisionStack({ clients: target.clients, stack, artifact: (await buildFunctionArtifact()).zip });
    });

    const narrowTo = (removedAction: string) =>
      setExecutionPolicy(target.clients, stack, withoutAction(removedAction));
    const restore = () => setExecutionPolicy(target.clients, stack);

    it.each([
      ["s3:GetObject", /access denied reading s3:\/\/image-uploads\/uploads\/denied-s3\.jpg.*s3:GetObject/],
      ["dynamodb:PutItem", /AccessDeniedException.*not authorized to perform: dynamodb:PutItem/],
    ])("without %s", async (action, logPattern) => {
      const lambda = target.engine?.apis.lambda;
      if (!lambda) throw new Error("engine has no Lambda service");
      await narrowTo(action);
      const key = `uploads/denied-${action.split(":")[0]}.jpg`;
      const started = Date.now();
      const put = await target.clients.s3.send(
        new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body, ContentType: "image/jpeg" }),
      );
      const etag = stripETagQuotes(put.ETag ?? "");

      // The failed event is in the function's on-failure queue (the stack configures it), not in the engine's list.
      const failed = await eventually<FailedEvent>("the failed event in the on-failure queue", async () =>
        (await queuedFailedEvents(target.clients, stack)).find((e) => e.keys.includes(key)),
      );
      // One attempt and two retries, as on AWS; the record was never written.
      expect(failed.attempts).toBe(3);
      expect(failed.errorMessage).toMatch(
        action === "s3:GetObject" ? /AccessDenied/ : /AccessDeniedException/,
      );
      expect(await getRecord(target.clients, stack, key, etag)).toBeUndefined();
      const lines = (
        await fetchLogEvents(target.clients, stack.logGroupName, { startTime: started - 1000 })
      ).map((e) => e.message);
      expect(lines.filter((l) => logPattern.test(l)).length).toBeGreaterThanOrEqual(3);

      expect(lambda.listFailedEvents()).toEqual([]);

      await restore();
      const [redriven] = await redriveFailedEvents(target.clients, stack, { id: failed.id });
      expect(redriven).toMatchObject({ ok: true });
      const found = await waitForRecord(target.clients, stack, key, etag, { timeoutMs: 15_000 });
      expect(found?.item.size).toBe(body.length);
      expect((await queuedFailedEvents(target.clients, stack)).some((e) => e.id === failed.id)).toBe(false);
    });
  },
);

describe.skipIf(targetCapabilities.enforcesIam)(
  "IAM not enforced on this target (LocalStack community): a narrowed role still writes the record",
  () => {
    const target = useEngine();

    it("without dynamodb:PutItem and s3:GetObject, an upload still becomes its record", async () => {
      await setExecutionPolicy(target.clients, stack, (statements) =>
        withoutAction("s3:GetObject")(withoutAction("dynamodb:PutItem")(statements)),
      );
      const key = "uploads/not-enforced.jpg";
      const put = await target.clients.s3.send(
        new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body, ContentType: "image/jpeg" }),
      );

      const found = await waitForRecord(target.clients, stack, key, stripETagQuotes(put.ETag ?? ""), {
        timeoutMs: 60_000,
      });

      // Were IAM enforced here, the event would fail and land in the on-failure queue instead: the target table
      // (test/helpers/target.ts) would then be wrong.
      expect(found?.item.size).toBe(body.length);
      expect(await queuedFailedEvents(target.clients, stack)).toEqual([]);
    });
  },
);
