import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { PutRolePolicyCommand } from "@aws-sdk/client-iam";
import {
  AddPermissionCommand,
  DeleteFunctionEventInvokeConfigCommand,
  RemovePermissionCommand,
} from "@aws-sdk/client-lambda";
import {
  DeleteBucketEncryptionCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
} from "@aws-sdk/client-s3";
import { SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { beforeAll, describe, expect, it } from "vitest";
import { buildFunctionArtifact, type FunctionArtifact } from "../../src/artifact/build.ts";
import { repoRoot } from "../../src/artifact/paths.ts";
import { stripETagQuotes } from "../../src/function/record.ts";
import { fetchLogEvents } from "../../src/pipeline/logs.ts";
import { listObjects } from "../../src/pipeline/objects.ts";
import { scanRecords, waitForRecord } from "../../src/pipeline/records.ts";
import { checkStack } from "../../src/stack/check.ts";
import { observeStack } from "../../src/stack/observe.ts";
import { onFailureQueueUrl } from "../../src/stack/on-failure-queue.ts";
import { provisionStack } from "../../src/stack/provision.ts";
import { defineStack } from "../../src/stack/spec.ts";
import { teardownStack } from "../../src/stack/teardown.ts";
import { dynamoDbBackends, PROVISION_STEPS, useEngine } from "../helpers/engine.ts";
import { setExecutionPolicy } from "../helpers/pipeline.ts";

const stack = defineStack();

describe.each(dynamoDbBackends)(
  "Stack: provisioner, check and teardown against the engine (%s)",
  (backend) => {
    const target = useEngine({ dynamodbBackend: backend });
    let artifact: FunctionArtifact;
    const failingChecks = async () =>
      checkStack(await observeStack(target.clients, stack), stack, artifact.codeSha256)
        .filter((c) => !c.ok)
        .map((c) => c.id);

    beforeAll(async () => {
      artifact = await buildFunctionArtifact();
    });

    it("creates every resource, then reports every step unchanged on a second run", async () => {
      const first = await provisionStack({ clients: target.clients, stack, artifact: artifact.zip });
      expect(first.map((s) => s.step)).toEqual(PROVISION_STEPS);
      const second = await provisionStack({ clients: target.clients, stack, artifact: artifact.zip });
      expect(second.filter((s) => s.action !== "unchanged")).toEqual([]);
    });

    it("passes the stack check", async () => {
      expect(await failingChecks()).toEqual([]);
    });

    it("runs the pipeline: an upload becomes a record and log lines", async () => {
      const body = await readFile(join(repoRoot, "fixtures/cat.jpg"));
      const key = "uploads/stack test/cat+1.jpg";
      const put = await target.clients.s3.send(
        new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body, ContentType: "image/jpeg" }),
      );
      const etag = stripETagQuotes(put.ETag ?? "");
      const found = await waitForRecord(target.clients, stack, key, etag, { timeoutMs: 15_000 });
      expect(found?.item).toMatchObject({
        key,
        size: body.length,
        contentType: "image/jpeg",
        sse: "AES256",
        eventName: "ObjectCreated:Put",
      });
      const deadline = Date.now() + 10_000;
      let messages: string[] = [];
      while (Date.now() < deadline) {
        messages = (
          await fetchLogEvents(target.clients, stack.logGroupName, { startTime: Date.now() - 60_000 })
        ).map((e) => e.message);
        if (messages.some((m) => m.startsWith("REPORT RequestId:"))) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(messages.some((m) => m.startsWith("START RequestId:"))).toBe(true);
      expect(messages.some((m) => m.includes('"outcome":"written"') && m.includes("cat+1.jpg"))).toBe(true);
    });

    // Each mutation makes exactly the named check fail; re-provisioning restores the stack.
    const mutations: Array<[string, string, () => Promise<unknown>]> = [
      [
        "policy resource widened to *",
        "least-privilege",
        () =>
          setExecutionPolicy(target.clients, stack, (statements) =>
            statements.map((s) => (s.Action === "dynamodb:PutItem" ? { ...s, Resource: "*" } : s)),
          ),
      ],
      [
        "extra inline policy on the role",
        "least-privilege",
        () =>
          target.clients.iam.send(
            new PutRolePolicyCommand({
              RoleName: stack.roleName,
              PolicyName: "debug-access",
              PolicyDocument: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }],
              }),
            }),
          ),
      ],
      [
        "the role may also receive from its on-failure queue",
        "least-privilege",
        () =>
          setExecutionPolicy(target.clients, stack, (statements) => [
            ...statements,
            { Effect: "Allow", Action: "sqs:ReceiveMessage", Resource: stack.arns.onFailureQueue },
          ]),
      ],
      [
        "on-failure queue retention back to SQS's default of 4 days",
        "on-failure-queue",
        async () =>
          target.clients.sqs.send(
            new SetQueueAttributesCommand({
              QueueUrl: await onFailureQueueUrl(target.clients, stack),
              Attributes: { MessageRetentionPeriod: "345600" },
            }),
          ),
      ],
      [
        "no event invoke config (failed events would be dropped)",
        "on-failure-destination",
        () =>
          target.clients.lambda.send(
            new DeleteFunctionEventInvokeConfigCommand({ FunctionName: stack.functionName }),
          ),
      ],
      [
        "resource policy without SourceAccount",
        "resource-policy",
        async () => {
          await target.clients.lambda.send(
            new RemovePermissionCommand({
              FunctionName: stack.functionName,
              StatementId: stack.invokePermission.statementId,
            }),
          );
          await target.clients.lambda.send(
            new AddPermissionCommand({
              FunctionName: stack.functionName,
              StatementId: stack.invokePermission.statementId,
              Action: "lambda:InvokeFunction",
              Principal: "s3.amazonaws.com",
              SourceArn: stack.arns.bucket,
            }),
          );
        },
      ],
      [
        "a Block Public Access flag off",
        "block-public-access",
        () =>
          target.clients.s3.send(
            new PutPublicAccessBlockCommand({
              Bucket: stack.bucket,
              PublicAccessBlockConfiguration: {
                BlockPublicAcls: true,
                IgnorePublicAcls: true,
                BlockPublicPolicy: false,
                RestrictPublicBuckets: true,
              },
            }),
          ),
      ],
      [
        "no default encryption",
        "default-encryption",
        () => target.clients.s3.send(new DeleteBucketEncryptionCommand({ Bucket: stack.bucket })),
      ],
      [
        "notification prefix wrong",
        "notification",
        () =>
          target.clients.s3.send(
            new PutBucketNotificationConfigurationCommand({
              Bucket: stack.bucket,
              NotificationConfiguration: {
                LambdaFunctionConfigurations: [
                  {
                    Id: stack.notification.id,
                    LambdaFunctionArn: stack.arns.function,
                    Events: ["s3:ObjectCreated:*"],
                    Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "incoming/" }] } },
                  },
                ],
              },
            }),
          ),
      ],
    ];

    it.each(mutations)(
      "check fails on %s (item %s) and the provisioner repairs it",
      async (_what, checkId, mutate) => {
        await mutate();
        expect(await failingChecks()).toEqual([checkId]);
        const repaired = await provisionStack({ clients: target.clients, stack, artifact: artifact.zip });
        expect(repaired.filter((s) => s.action !== "unchanged").length).toBeGreaterThan(0);
        expect(await failingChecks()).toEqual([]);
      },
    );

    it("down --keep-data keeps objects and records; up restores the rest; down removes everything", async () => {
      const recordsBefore = await scanRecords(target.clients, stack);
      const objectsBefore = await listObjects(target.clients, stack.bucket, stack.uploadPrefix);
      expect(recordsBefore.length).toBeGreaterThan(0);
      const kept = await teardownStack({ clients: target.clients, stack, keepData: true });
      expect(Object.fromEntries(kept.map((s) => [s.step, s.action]))).toEqual({
        notification: "deleted",
        function: "deleted",
        role: "deleted",
        "log-group": "kept",
        "on-failure-queue": "kept",
        table: "kept",
        bucket: "kept",
      });
      const observed = await observeStack(target.clients, stack);
      expect(observed.table).not.toBeNull();
      expect(observed.bucket).not.toBeNull();
      expect(observed.function).toBeNull();
      expect(observed.onFailureQueue).not.toBeNull();
      expect(await scanRecords(target.clients, stack)).toEqual(recordsBefore);
      expect(await listObjects(target.clients, stack.bucket, stack.uploadPrefix)).toEqual(objectsBefore);
      const again = await provisionStack({ clients: target.clients, stack, artifact: artifact.zip });
      expect(again.find((s) => s.step === "function")?.action).toBe("created");
      expect(again.find((s) => s.step === "table")?.action).toBe("unchanged");
      expect(await failingChecks()).toEqual([]);
      const removed = await teardownStack({ clients: target.clients, stack });
      expect(removed.every((s) => s.action === "deleted")).toBe(true);
      const gone = await observeStack(target.clients, stack);
      expect([gone.table, gone.bucket, gone.function, gone.role]).toEqual([null, null, null, null]);
      const idempotent = await teardownStack({ clients: target.clients, stack });
      expect(idempotent.every((s) => s.action === "absent")).toBe(true);
    });
  },
);
