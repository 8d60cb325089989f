import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  ListTagsOfResourceCommand,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  ScanCommand,
  UpdateItemCommand,
  UpdateTableCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { awsCliEnvironment, findAwsCliV2 } from "../helpers/aws-cli.ts";
import { dynamoDbBackends, externalEndpoint, useEngine } from "../helpers/engine.ts";

const run = promisify(execFile);
const awsCli = findAwsCliV2();
describe.each(dynamoDbBackends)("DynamoDB conformance on %s", (backend) => {
  const target = useEngine({ dynamodbBackend: backend });
  const table = `conformance-${backend}`;
  const waiter = () => ({ client: target.clients.dynamodb, maxWaitTime: 30, minDelay: 0.1, maxDelay: 1 });
  const put = (pk: string, sk: string, extra: Record<string, { S: string }> = {}) =>
    target.clients.dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: { PK: { S: pk }, SK: { S: sk }, ...extra },
        ConditionExpression: "attribute_not_exists(PK) AND attribute_not_exists(SK)",
      }),
    );

  /** The suite's table, on demand, with `keys`; resolves once it is ACTIVE. */
  const createTable = async (
    keys: Pick<CreateTableCommandInput, "AttributeDefinitions" | "KeySchema" | "GlobalSecondaryIndexes">,
  ) => {
    await target.clients.dynamodb.send(
      new CreateTableCommand({ TableName: table, BillingMode: "PAY_PER_REQUEST", ...keys }),
    );
    await waitUntilTableExists(waiter(), { TableName: table });
  };

  it("creates an on-demand table with PK/SK and describes it", async () => {
    await createTable({
      AttributeDefinitions: [
        { AttributeName: "PK", AttributeType: "S" },
        { AttributeName: "SK", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "PK", KeyType: "HASH" },
        { AttributeName: "SK", KeyType: "RANGE" },
      ],
    });
    const { Table } = await target.clients.dynamodb.send(new DescribeTableCommand({ TableName: table }));
    expect(Table?.TableStatus).toBe("ACTIVE");
    expect(Table?.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
    expect(Table?.KeySchema).toEqual([
      { AttributeName: "PK", KeyType: "HASH" },
      { AttributeName: "SK", KeyType: "RANGE" },
    ]);
  });

  it("writes conditionally once and rejects the duplicate with ConditionalCheckFailedException", async () => {
    await put("IMG#b#k", "META#1", { size: { S: "10" } });
    const duplicate = put("IMG#b#k", "META#1", { size: { S: "99" } });
    await expect(duplicate).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    const { Item } = await target.clients.dynamodb.send(
      new GetItemCommand({
        TableName: table,
        Key: { PK: { S: "IMG#b#k" }, SK: { S: "META#1" } },
        ConsistentRead: true,
      }),
    );
    expect(Item?.size).toEqual({ S: "10" });
  });

  it("returns the existing item on a failed condition when asked (ALL_OLD)", async () => {
    try {
      await target.clients.dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: { PK: { S: "IMG#b#k" }, SK: { S: "META#1" } },
          ConditionExpression: "attribute_not_exists(PK) AND attribute_not_exists(SK)",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      expect.unreachable("the condition should have failed");
    } catch (error) {
      expect(error).toBeInstanceOf(ConditionalCheckFailedException);
      expect((error as ConditionalCheckFailedException).Item).toEqual({
        PK: { S: "IMG#b#k" },
        SK: { S: "META#1" },
        size: { S: "10" },
      });
    }
  });

  it("returns the existing item on a failed UpdateItem or DeleteItem condition (ALL_OLD), and none unasked", async () => {
    const key = { PK: { S: "IMG#b#k" }, SK: { S: "META#1" } };
    const failure = (promise: Promise<unknown>) =>
      promise.then(
        () => expect.unreachable("the condition should have failed"),
        (error: unknown) => error as ConditionalCheckFailedException,
      );
    const update = await failure(
      target.clients.dynamodb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key,
          UpdateExpression: "SET #size = :s",
          ConditionExpression: "#size = :other",
          ExpressionAttributeNames: { "#size": "size" },
          ExpressionAttributeValues: { ":s": { S: "11" }, ":other": { S: "nope" } },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      ),
    );
    expect(update).toBeInstanceOf(ConditionalCheckFailedException);
    expect(update.Item?.size).toEqual({ S: "10" });
    const remove = await failure(
      target.clients.dynamodb.send(
        new DeleteItemCommand({
          TableName: table,
          Key: key,
          ConditionExpression: "attribute_not_exists(PK)",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      ),
    );
    expect(remove.Item?.size).toEqual({ S: "10" });
    const unasked = await failure(put("IMG#b#k", "META#1"));
    expect(unasked).toBeInstanceOf(ConditionalCheckFailedException);
    expect(unasked.Item).toBeUndefined();
  });

  it("refuses a ReturnValuesOnConditionCheckFailure outside ALL_OLD and NONE with a ValidationException", async () => {
    const error = await target.clients.dynamodb
      .send(
        new PutItemCommand({
          TableName: table,
          Item: { PK: { S: "IMG#b#k" }, SK: { S: "META#9" } },
          ReturnValuesOnConditionCheckFailure: "ALL_NEW" as "ALL_OLD",
        }),
      )
      .then(
        () => undefined,
        (caught: unknown) => caught as Error,
      );
    expect(error?.name).toBe("ValidationException");
    expect(error?.message).toContain("returnValuesOnConditionCheckFailure");
  });

  it("keeps CreateTable's Tags on dynalite and refuses them where the backend has no tagging", async () => {
    const tagged = `${table}-tagged`;
    const create = target.clients.dynamodb.send(
      new CreateTableCommand({
        TableName: tagged,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "PK", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "PK", KeyType: "HASH" }],
        Tags: [{ Key: "project", Value: "pipeline" }],
      }),
    );
    if (backend === "dynalite") {
      const { TableDescription } = await create;
      const { Tags } = await target.clients.dynamodb.send(
        new ListTagsOfResourceCommand({ ResourceArn: TableDescription?.TableArn }),
      );
      expect(Tags).toEqual([{ Key: "project", Value: "pipeline" }]);
      await target.clients.dynamodb.send(new DeleteTableCommand({ TableName: tagged }));
    } else {
      await expect(create).rejects.toThrow(
        /CreateTable with Tags is not supported on the dynamodb-local backend/,
      );
    }
  });

  // dynalite ignores these members; the engine refuses them by name (members.ts). LocalStack and DynamoDB Local
  // run the real DynamoDB code, which handles them.
  it.runIf(backend === "dynalite" && !externalEndpoint)(
    "refuses by name what dynalite would ignore, and takes it when it asks for AWS's default",
    async () => {
      const definition = {
        BillingMode: "PAY_PER_REQUEST" as const,
        AttributeDefinitions: [{ AttributeName: "PK", AttributeType: "S" as const }],
        KeySchema: [{ AttributeName: "PK", KeyType: "HASH" as const }],
      };
      const protectedTable = `${table}-protected`;
      const refused = await target.clients.dynamodb
        .send(
          new CreateTableCommand({
            ...definition,
            TableName: protectedTable,
            DeletionProtectionEnabled: true,
            StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_IMAGE" },
          }),
        )
        .catch((error: Error) => error);
      expect(refused).toMatchObject({
        name: "ValidationException",
        message: expect.stringMatching(/^StreamSpecification, DeletionProtectionEnabled: not supported/),
      });
      const { TableDescription } = await target.clients.dynamodb.send(
        new CreateTableCommand({
          ...definition,
          TableName: protectedTable,
          DeletionProtectionEnabled: false,
          TableClass: "STANDARD",
          StreamSpecification: { StreamEnabled: false },
          SSESpecification: { Enabled: false },
        }),
      );
      expect(TableDescription?.TableName).toBe(protectedTable);
      await waitUntilTableExists(waiter(), { TableName: protectedTable });
      const index = await target.clients.dynamodb
        .send(
          new UpdateTableCommand({
            TableName: protectedTable,
            AttributeDefinitions: [{ AttributeName: "G", AttributeType: "S" }],
            GlobalSecondaryIndexUpdates: [
              {
                Create: {
                  IndexName: "byG",
                  KeySchema: [{ AttributeName: "G", KeyType: "HASH" }],
                  Projection: { ProjectionType: "ALL" },
                },
              },
            ],
          }),
        )
        .catch((error: Error) => error);
      expect(index).toMatchObject({
        name: "ValidationException",
        message: expect.stringMatching(
          /^AttributeDefinitions, GlobalSecondaryIndexUpdates.Create: not supported/,
        ),
      });
      await target.clients.dynamodb.send(new DeleteTableCommand({ TableName: protectedTable }));
    },
  );

  // The engine writes an ASCII answer with its head in one write and encodes any other as UTF-8 first (edge.ts,
  // oneWritePayload); the SDK checks each answer's x-amz-crc32 against the bytes it got.
  it.each([
    ["ASCII, small", "plain"],
    ["ASCII, past 2 KiB", "p".repeat(3000)],
    ["non-ASCII, small", "été 猫 😀 \u00ff"],
    ["non-ASCII, past 2 KiB", "日本語-😀-".repeat(300)],
  ])("answers an item of %s text byte-exact", async (_label, text) => {
    const sk = `TEXT#${text.length}#${text.charCodeAt(0)}`;
    await put("IMG#b#text", sk, { text: { S: text } });
    const got = await target.clients.dynamodb.send(
      new GetItemCommand({ TableName: table, Key: { PK: { S: "IMG#b#text" }, SK: { S: sk } } }),
    );
    expect(got.Item?.text?.S).toBe(text);
    await target.clients.dynamodb.send(
      new DeleteItemCommand({ TableName: table, Key: { PK: { S: "IMG#b#text" }, SK: { S: sk } } }),
    );
  });

  it("queries a partition and scans the table", async () => {
    await put("IMG#b#k", "META#2");
    await put("IMG#b#other", "META#1");
    const query = await target.clients.dynamodb.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: "PK = :pk",
        ExpressionAttributeValues: { ":pk": { S: "IMG#b#k" } },
      }),
    );
    expect(query.Items?.map((i) => i.SK?.S)).toEqual(["META#1", "META#2"]);
    const scan = await target.clients.dynamodb.send(new ScanCommand({ TableName: table }));
    expect(scan.Count).toBe(3);
  });

  it("deletes an item, then the table", async () => {
    await target.clients.dynamodb.send(
      new DeleteItemCommand({ TableName: table, Key: { PK: { S: "IMG#b#other" }, SK: { S: "META#1" } } }),
    );
    const scan = await target.clients.dynamodb.send(new ScanCommand({ TableName: table }));
    expect(scan.Count).toBe(2);
    await target.clients.dynamodb.send(new DeleteTableCommand({ TableName: table }));
    await waitUntilTableNotExists(waiter(), { TableName: table });
    await expect(
      target.clients.dynamodb.send(new DescribeTableCommand({ TableName: table })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  // The item operations read a table's description (dynalite's is cached, src/engine/dynamodb/dynalite-rewrites.ts):
  // once the table is gone they fail with ResourceNotFoundException ("The operation tried to access a nonexistent
  // table or index", the error's reference in the AWS SDKs), and a table created again under the same name is served
  // with its own key schema and index at once.
  it("serves a table deleted and created again under the same name with its new key schema and index", async () => {
    await expect(put("IMG#b#k", "META#3")).rejects.toBeInstanceOf(ResourceNotFoundException);
    await createTable({
      AttributeDefinitions: [
        { AttributeName: "id", AttributeType: "S" },
        { AttributeName: "colour", AttributeType: "S" },
      ],
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      GlobalSecondaryIndexes: [
        {
          IndexName: "byColour",
          KeySchema: [{ AttributeName: "colour", KeyType: "HASH" }],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    });
    await target.clients.dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { id: { S: "leaf" }, colour: { S: "green" } } }),
    );
    const byColour = await target.clients.dynamodb.send(
      new QueryCommand({
        TableName: table,
        IndexName: "byColour",
        KeyConditionExpression: "colour = :c",
        ExpressionAttributeValues: { ":c": { S: "green" } },
      }),
    );
    expect(byColour.Items?.map((item) => item.id?.S)).toEqual(["leaf"]);
    // The old schema's key is no key of this table.
    await expect(put("IMG#b#k", "META#4")).rejects.toMatchObject({ name: "ValidationException" });
    await target.clients.dynamodb.send(new DeleteTableCommand({ TableName: table }));
    await waitUntilTableNotExists(waiter(), { TableName: table });
  });

  it.skipIf(!awsCli)(
    "works with the AWS CLI v2: create-table, put-item, get-item, scan; sts get-caller-identity",
    async () => {
      const aws = (...args: string[]) =>
        run(awsCli as string, [...args, "--endpoint-url", target.endpoint, "--output", "json"], {
          env: awsCliEnvironment(target.endpoint),
        });
      const cliTable = `cli-${backend}`;
      await aws(
        "dynamodb",
        "create-table",
        "--table-name",
        cliTable,
        "--billing-mode",
        "PAY_PER_REQUEST",
        "--attribute-definitions",
        "AttributeName=PK,AttributeType=S",
        "AttributeName=SK,AttributeType=S",
        "--key-schema",
        "AttributeName=PK,KeyType=HASH",
        "AttributeName=SK,KeyType=RANGE",
      );
      await aws("dynamodb", "wait", "table-exists", "--table-name", cliTable);
      await aws(
        "dynamodb",
        "put-item",
        "--table-name",
        cliTable,
        "--item",
        '{"PK":{"S":"IMG#b#cat.jpg"},"SK":{"S":"META#e"},"size":{"N":"42"}}',
      );
      const got = JSON.parse(
        (
          await aws(
            "dynamodb",
            "get-item",
            "--table-name",
            cliTable,
            "--key",
            '{"PK":{"S":"IMG#b#cat.jpg"},"SK":{"S":"META#e"}}',
          )
        ).stdout,
      );
      expect(got.Item.size).toEqual({ N: "42" });
      const scanned = JSON.parse((await aws("dynamodb", "scan", "--table-name", cliTable)).stdout);
      expect(scanned.Count).toBe(1);
      const identity = JSON.parse((await aws("sts", "get-caller-identity")).stdout);
      expect(identity.Account).toBe("000000000000");
    },
  );
});
