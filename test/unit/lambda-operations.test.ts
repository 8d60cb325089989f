import { describe, expect, it } from "vitest";
import { lambdaDeclaration } from "../helpers/lambda-declaration.ts";

const fn = "arn:aws:lambda:us-east-1:000000000000:function:ingest";

describe("Lambda's declared routes, matched by the shared dispatcher", () => {
  it("reaches the collection, a function, its sub-resources and the tags and event-invoke-config paths", async () => {
    // Arrange
    const { send, asked } = lambdaDeclaration();
    const requests: Array<[string, string]> = [
      ["GET", "/2015-03-31/functions"],
      // The AWS CLI v2 sends ListFunctions with a trailing slash (its model's requestUri).
      ["GET", "/2015-03-31/functions/"],
      ["GET", "/2015-03-31/functions/ingest"],
      ["GET", "/2015-03-31/functions/ingest/policy"],
      ["DELETE", "/2015-03-31/functions/ingest/policy/sid-1"],
      ["GET", "/2015-03-31/functions/ingest/aliases/live"],
      ["GET", "/2019-09-25/functions/ingest/event-invoke-config/list"],
      ["DELETE", `/2017-03-31/tags/${encodeURIComponent(fn)}?tagKeys=a&tagKeys=b`],
    ];

    // Act
    const answers = [];
    for (const [method, path] of requests) answers.push(await send(method, path));

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual(requests.map(() => 403));
    expect(asked).toEqual([
      "lambda:ListFunctions *",
      "lambda:ListFunctions *",
      `lambda:GetFunction ${fn}`,
      `lambda:GetPolicy ${fn}`,
      `lambda:RemovePermission ${fn}`,
      `lambda:GetAlias ${fn}`,
      `lambda:ListFunctionEventInvokeConfigs ${fn}`,
      `lambda:UntagResource ${fn}`,
    ]);
  });

  it("serves the code download GetFunction's Location names without an IAM check", async () => {
    // Arrange
    const { send, asked } = lambdaDeclaration();

    // Act
    const answer = await send("GET", "/2015-03-31/functions/ingest/package/abc.zip?X-Amz-Signature=0");

    // Assess
    expect(answer).toEqual({
      status: 404,
      type: "ResourceNotFoundException",
      message: "The code package does not exist (it may have been replaced).",
    });
    expect(asked).toEqual([]);
  });

  it("answers an unknown method, sub-resource or extra segment as an unknown operation", async () => {
    // Arrange
    const { send, asked } = lambdaDeclaration();
    const requests: Array<[string, string]> = [
      ["PATCH", "/2015-03-31/functions/ingest"],
      ["GET", "/2015-03-31/functions/ingest/unknown"],
      ["DELETE", "/2015-03-31/functions/ingest/policy"],
      ["GET", "/2015-03-31/functions/ingest/policy/sid-1"],
      ["GET", "/2019-09-25/functions/ingest/event-invoke-config/other"],
    ];

    // Act
    const answers = [];
    for (const [method, path] of requests) answers.push(await send(method, path));

    // Assess
    expect(answers.map((answer) => [answer.status, answer.type])).toEqual(
      requests.map(() => [404, "UnknownOperationException"]),
    );
    expect(answers[1]?.message).toBe(
      "The embedded Lambda service does not serve GET /2015-03-31/functions/ingest/unknown",
    );
    expect(asked).toEqual([]);
  });

  it("finds the function first: a missing one is a 404 before any 403", async () => {
    // Arrange
    const { send, asked } = lambdaDeclaration();

    // Act
    const answer = await send("GET", "/2015-03-31/functions/missing/policy");

    // Assess
    expect(answer.status).toBe(404);
    expect(answer.type).toBe("ResourceNotFoundException");
    expect(asked).toEqual([]);
  });

  it("looks the function up once a call: the handler gets what resource() found", async () => {
    // Arrange
    const { send, lookups } = lambdaDeclaration({ allow: true });

    // Act
    const answer = await send("GET", "/2015-03-31/functions/ingest/policy");

    // Assess
    expect(answer).toEqual({
      status: 404,
      type: "ResourceNotFoundException",
      message: "The resource you requested does not exist.",
    });
    expect(lookups).toEqual(["ingest"]);
  });

  it("bounds MaxItems to 1..10000 in the schema, worded as Lambda words it", async () => {
    // Arrange
    const { send } = lambdaDeclaration({ allow: true });
    const message = (value: string) =>
      `1 validation error detected: Value '${value}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000`;

    // Act
    const answers = [
      await send("GET", "/2015-03-31/functions?MaxItems=0"),
      await send("GET", "/2015-03-31/functions/ingest/versions?MaxItems=10001"),
      await send("GET", "/2015-03-31/functions/ingest/aliases?MaxItems=abc"),
      await send("GET", "/2015-03-31/functions?MaxItems=2.5"),
    ];

    // Assess
    expect(answers).toEqual([
      { status: 400, type: "ValidationException", message: message("0") },
      { status: 400, type: "ValidationException", message: message("10001") },
      { status: 400, type: "ValidationException", message: message("NaN") },
      { status: 400, type: "ValidationException", message: message("2.5") },
    ]);
  });
});
