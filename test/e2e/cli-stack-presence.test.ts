import { randomBytes } from "node:crypto";
import { CreateTableCommand, DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import { CreateRoleCommand, DeleteRoleCommand } from "@aws-sdk/client-iam";
import { CreateFunctionCommand, DeleteFunctionCommand } from "@aws-sdk/client-lambda";
import { CreateBucketCommand, DeleteBucketCommand } from "@aws-sdk/client-s3";
import { strToU8, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireStack } from "../../cli/src/stack-presence.ts";
import { resolveTarget } from "../../cli/src/target.ts";
import { defineStack } from "../../src/stack/spec.ts";
import { useEngine } from "../helpers/engine.ts";

/**
 * `requireStack` as the verbs call it, against the engine: with `readFirst`, the part the verb's own client reads
 * settles "the stack is here" alone, and the other parts (and their SDK clients) are read only when it is missing.
 */
describe("requireStack: which parts of the stack a verb reads", { timeout: 60_000 }, () => {
  const engine = useEngine();
  // Names of its own, so the suite can run against a shared endpoint (LocalStack) beside the others.
  const suffix = randomBytes(3).toString("hex");
  const stack = defineStack({
    bucket: `presence-${suffix}`,
    table: `presence-${suffix}`,
    functionName: `presence-${suffix}`,
  });
  const roleName = `presence-${suffix}`;
  const target = () =>
    resolveTarget(
      {
        endpoint: engine.endpoint,
        region: "us-east-1",
        bucket: stack.bucket,
        table: stack.table,
        function: stack.functionName,
      },
      ["lambda"],
      {},
    );

  beforeAll(async () => {
    const { clients } = engine;
    await clients.s3.send(new CreateBucketCommand({ Bucket: stack.bucket }));
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: stack.table,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "PK", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "PK", KeyType: "HASH" }],
      }),
    );
    const role = await clients.iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify(stack.trustPolicy),
      }),
    );
    await clients.lambda.send(
      new CreateFunctionCommand({
        FunctionName: stack.functionName,
        Runtime: "nodejs22.x",
        Handler: "index.handler",
        Role: role.Role?.Arn,
        Code: { ZipFile: zipSync({ "index.mjs": strToU8("export const handler = async () => ({});") }) },
      }),
    );
  });

  afterAll(async () => {
    const { clients } = engine;
    const quietly = (done: Promise<unknown>) => done.catch(() => undefined);
    await quietly(clients.lambda.send(new DeleteFunctionCommand({ FunctionName: stack.functionName })));
    await quietly(clients.s3.send(new DeleteBucketCommand({ Bucket: stack.bucket })));
    await quietly(clients.dynamodb.send(new DeleteTableCommand({ TableName: stack.table })));
    await quietly(clients.iam.send(new DeleteRoleCommand({ RoleName: roleName })));
  });

  it("reads only the function when it is there: the bucket and the table are not read, nor their clients loaded", async () => {
    const { presence } = await requireStack(await target(), [], "function");
    expect(presence).toEqual({ function: true });
  });

  it("reads the other parts when the function is missing, and goes on when one is there", async () => {
    await engine.clients.lambda.send(new DeleteFunctionCommand({ FunctionName: stack.functionName }));
    const { presence } = await requireStack(await target(), [], "function");
    expect(presence).toEqual({ function: false, bucket: true, table: true });
  });

  it("says there is no stack when none of it is there", async () => {
    await engine.clients.s3.send(new DeleteBucketCommand({ Bucket: stack.bucket }));
    await engine.clients.dynamodb.send(new DeleteTableCommand({ TableName: stack.table }));
    await expect(requireStack(await target(), [], "function")).rejects.toThrow(
      `no stack at ${engine.endpoint} in us-east-1: run \`npx pipeline up`,
    );
  });
});
