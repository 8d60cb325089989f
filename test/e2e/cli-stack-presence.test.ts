import { CreateTableCommand, DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import { CreateRoleCommand } from "@aws-sdk/client-iam";
import { CreateFunctionCommand, DeleteFunctionCommand } from "@aws-sdk/client-lambda";
import { CreateBucketCommand, DeleteBucketCommand } from "@aws-sdk/client-s3";
import { strToU8, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireStack } from "../../cli/src/stack-presence.ts";
import { resolveTarget } from "../../cli/src/target.ts";
import { createAwsClients } from "../../src/aws/all-clients.ts";
import { EMULATOR_CREDENTIALS } from "../../src/aws/clients.ts";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { defineStack } from "../../src/stack/spec.ts";

/**
 * `requireStack` as the verbs call it, against the engine: with `readFirst`, the part the verb's own client reads
 * settles "the stack is here" alone, and the other parts (and their SDK clients) are read only when it is missing.
 */
describe("requireStack: which parts of the stack a verb reads", { timeout: 60_000 }, () => {
  const stack = defineStack();
  let engine: Engine;
  let clients: ReturnType<typeof createAwsClients>;
  const target = () => resolveTarget({ endpoint: engine.endpoint, region: "us-east-1" }, ["lambda"], {});

  beforeAll(async () => {
    engine = await startEngine({ port: 0 });
    clients = createAwsClients({
      endpoint: engine.endpoint,
      region: "us-east-1",
      credentials: EMULATOR_CREDENTIALS,
    });
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
        RoleName: "presence",
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
    clients?.destroy();
    await engine?.stop();
  });

  it("reads only the function when it is there: the bucket and the table are not read, nor their clients loaded", async () => {
    const { presence } = await requireStack(await target(), [], "function");
    expect(presence).toEqual({ function: true });
  });

  it("reads the other parts when the function is missing, and goes on when one is there", async () => {
    await clients.lambda.send(new DeleteFunctionCommand({ FunctionName: stack.functionName }));
    const { presence } = await requireStack(await target(), [], "function");
    expect(presence).toEqual({ function: false, bucket: true, table: true });
  });

  it("says there is no stack when none of it is there", async () => {
    await clients.s3.send(new DeleteBucketCommand({ Bucket: stack.bucket }));
    await clients.dynamodb.send(new DeleteTableCommand({ TableName: stack.table }));
    await expect(requireStack(await target(), [], "function")).rejects.toThrow(
      /^no stack at http:\/\/127\.0\.0\.1:\d+ in us-east-1: run `npx pipeline up/,
    );
  });
});
