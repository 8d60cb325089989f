import {
  type AttributeValue,
  CreateTableCommand,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { errorName } from "../../src/aws/errors.ts";
import { useEngine } from "../helpers/engine.ts";

/** An attribute value wrapped in `depth` maps (or lists). */
function nested(depth: number, kind: "M" | "L" = "M"): AttributeValue {
  let value: AttributeValue = { S: "leaf" };
  for (let i = 0; i < depth; i++) value = kind === "M" ? { M: { a: value } } : { L: [value] };
  return value;
}

/**
 * AWS's input limits hold before dynalite sees a request: each of these ended the engine (stack overflow in
 * dynalite's validator) or held its event loop for minutes (exponential backtracking in its expression parser).
 */
describe("DynamoDB input limits (issue 21)", () => {
  const target = useEngine();
  const table = "limits-table";
  const dynamodb = () => target.clients.dynamodb;
  const failure = async (promise: Promise<unknown>) => {
    const error = (await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    )) as Error | undefined;
    return { name: error ? errorName(error) : "none", message: error?.message ?? "" };
  };
  const stillServing = async () => {
    const { TableNames } = await dynamodb().send(new ListTablesCommand({}));
    expect(TableNames).toContain(table);
  };

  it("creates the table", async () => {
    await dynamodb().send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      }),
    );
  });

  it("refuses a map or list nested 1,000 deep with AWS's ValidationException and keeps serving", async () => {
    for (const kind of ["M", "L"] as const) {
      const outcome = await failure(
        dynamodb().send(
          new PutItemCommand({ TableName: table, Item: { pk: { S: "deep" }, d: nested(1000, kind) } }),
        ),
      );
      expect(outcome.name).toBe("ValidationException");
      expect(outcome.message).toMatch(/^Nesting Levels have exceeded supported limits/);
      await stillServing();
    }
  });

  it("accepts 31 nested maps and refuses 32, as AWS does", async () => {
    await dynamodb().send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: "d31" }, d: nested(31) } }),
    );
    const outcome = await failure(
      dynamodb().send(new PutItemCommand({ TableName: table, Item: { pk: { S: "d32" }, d: nested(32) } })),
    );
    expect(outcome.name).toBe("ValidationException");
  });

  it("refuses a deep expression attribute value (it is never stored, but the backend walks it)", async () => {
    const outcome = await failure(
      dynamodb().send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: "eav" } },
          ConditionExpression: "pk <> :v",
          ExpressionAttributeValues: { ":v": nested(1000, "L") },
        }),
      ),
    );
    expect(outcome.name).toBe("ValidationException");
    await stillServing();
  });

  it("refuses an item over 400 KB counted in UTF-8 bytes (dynalite counts UTF-16 units)", async () => {
    // 150,000 three-byte characters: 450,000 bytes, 150,000 UTF-16 units.
    const outcome = await failure(
      dynamodb().send(
        new PutItemCommand({ TableName: table, Item: { pk: { S: "big" }, d: { S: "€".repeat(150_000) } } }),
      ),
    );
    expect(outcome).toEqual({
      name: "ValidationException",
      message: "Item size has exceeded the maximum allowed size",
    });
  });

  it("refuses an expression over 4 KB", async () => {
    const outcome = await failure(
      dynamodb().send(
        new GetItemCommand({
          TableName: table,
          Key: { pk: { S: "d31" } },
          ProjectionExpression: `a${",a".repeat(2100)}`,
        }),
      ),
    );
    expect(outcome.name).toBe("ValidationException");
    expect(outcome.message).toBe(
      "Invalid ProjectionExpression: Expression size has exceeded the maximum allowed size; expression size: 4201",
    );
  });

  it("parses nested parentheses in linear time (they backtracked exponentially: 10 levels took minutes)", async () => {
    const started = Date.now();
    await dynamodb().send(new PutItemCommand({ TableName: table, Item: { pk: { S: "p" }, a: { N: "1" } } }));
    const condition = `${"(a = :v AND ".repeat(40)}a = :v${")".repeat(40)}`;
    await dynamodb().send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: "p" } },
        UpdateExpression: "SET b = :v",
        ConditionExpression: condition,
        ExpressionAttributeValues: { ":v": { N: "1" } },
      }),
    );
    const { Item } = await dynamodb().send(new GetItemCommand({ TableName: table, Key: { pk: { S: "p" } } }));
    expect(Item?.b).toEqual({ N: "1" });
    // Not a timing test of speed, a bound on a hang: the unmemoised parser needed hours for 40 levels.
    expect(Date.now() - started).toBeLessThan(30_000);
    // 4 KB of parentheses (the most an expression may hold) is answered, not a stack overflow.
    const deep = await failure(
      dynamodb().send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: { S: "p" } },
          UpdateExpression: "SET b = :v",
          ConditionExpression: `${"(".repeat(2040)}a = :v${")".repeat(2040)}`,
          ExpressionAttributeValues: { ":v": { N: "1" } },
        }),
      ),
    );
    expect(deep.name).toBe("ValidationException");
    await stillServing();
  });
});
