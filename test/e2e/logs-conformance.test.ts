import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  ListTagsForResourceCommand,
  PutLogEventsCommand,
  TagResourceCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../../src/engine/index.ts";

/** CloudWatch Logs members the engine used to take and drop, now refused by name; the `:*` identifier AWS refuses. */
const region = "us-east-1";
const admin = { accessKeyId: "test", secretAccessKey: "test" };

async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
  throw new Error("expected the call to fail");
}

describe("CloudWatch Logs: what it takes is handled or refused", () => {
  let engine: Engine;
  let logs: CloudWatchLogsClient;
  const group = "/e2e/conformance";
  beforeAll(async () => {
    engine = await startEngine({ port: 0 });
    logs = new CloudWatchLogsClient({ endpoint: engine.endpoint, region, credentials: admin });
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: "s" }));
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: group,
        logStreamName: "s",
        logEvents: [{ timestamp: Date.now(), message: "hello" }],
        sequenceToken: "ignored-by-aws-since-2023",
      }),
    );
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it("answers in its protocol's media type, application/x-amz-json-1.1, errors included", async () => {
    const call = (target: string, body: object) =>
      fetch(engine.endpoint, {
        method: "POST",
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": `Logs_20140328.${target}`,
          authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${region}/logs/aws4_request, SignedHeaders=host, Signature=00`,
        },
        body: JSON.stringify(body),
      });
    const found = await call("DescribeLogStreams", { logGroupName: group });
    const missing = await call("DescribeLogStreams", { logGroupName: "/e2e/no-such-group" });
    expect([found.status, found.headers.get("content-type")]).toEqual([200, "application/x-amz-json-1.1"]);
    expect([missing.status, missing.headers.get("content-type")]).toEqual([
      400,
      "application/x-amz-json-1.1",
    ]);
    expect(((await missing.json()) as { __type: string }).__type).toBe(
      "com.amazonaws.logs#ResourceNotFoundException",
    );
  });

  it("refuses CreateLogGroup's kmsKeyId and logGroupClass by name, and creates nothing", async () => {
    const kms = await failure(
      logs.send(
        new CreateLogGroupCommand({
          logGroupName: "/e2e/kms",
          kmsKeyId: "arn:aws:kms:us-east-1:000000000000:key/k",
        }),
      ),
    );
    expect(kms).toMatchObject({
      name: "ValidationException",
      message: expect.stringMatching(/^kmsKeyId: not supported/),
    });
    const infrequent = await failure(
      logs.send(new CreateLogGroupCommand({ logGroupName: "/e2e/ia", logGroupClass: "INFREQUENT_ACCESS" })),
    );
    expect(infrequent.message).toMatch(/^logGroupClass: not supported/);
    await logs.send(new CreateLogGroupCommand({ logGroupName: "/e2e/kms" }));
    await logs.send(new DeleteLogGroupCommand({ logGroupName: "/e2e/kms" }));
  });

  it("takes a log group's ARN as logGroupIdentifier, but not the :* form DescribeLogGroups shows", async () => {
    const arn = `arn:aws:logs:${region}:000000000000:log-group:${group}`;
    const events = await logs.send(
      new GetLogEventsCommand({ logGroupIdentifier: arn, logStreamName: "s", startFromHead: true }),
    );
    expect(events.events?.map((event) => event.message)).toEqual(["hello"]);
    const starred = await failure(
      logs.send(new GetLogEventsCommand({ logGroupIdentifier: `${arn}:*`, logStreamName: "s" })),
    );
    expect(starred).toMatchObject({
      name: "InvalidParameterException",
      message: expect.stringContaining(
        "at 'logGroupIdentifier' failed to satisfy constraint: Member must satisfy regular expression pattern",
      ),
    });
  });

  it("serves FilterLogEvents oldest first and refuses startFromHead false rather than ignore it", async () => {
    const oldest = await logs.send(new FilterLogEventsCommand({ logGroupName: group, startFromHead: true }));
    expect(oldest.events?.map((event) => event.message)).toEqual(["hello"]);
    const newest = await failure(
      logs.send(new FilterLogEventsCommand({ logGroupName: group, startFromHead: false })),
    );
    expect(newest).toMatchObject({
      name: "InvalidParameterException",
      message: expect.stringContaining("startFromHead false"),
    });
  });

  it("checks tags as the service model does: 50 at most (merged), key and value patterns", async () => {
    const tags = (count: number, prefix = "k") =>
      Object.fromEntries(Array.from({ length: count }, (_, index) => [`${prefix}${index}`, "v"]));
    expect(
      await failure(logs.send(new CreateLogGroupCommand({ logGroupName: "/e2e/tags51", tags: tags(51) }))),
    ).toMatchObject({
      name: "InvalidParameterException",
      message: expect.stringContaining("between 1 and 50"),
    });
    expect(
      await failure(
        logs.send(new CreateLogGroupCommand({ logGroupName: "/e2e/tagbad", tags: { "a*b": "v" } })),
      ),
    ).toMatchObject({
      name: "InvalidParameterException",
      message: expect.stringContaining("Map keys must satisfy"),
    });
    await logs.send(new CreateLogGroupCommand({ logGroupName: "/e2e/tags40", tags: tags(40) }));
    const arn = `arn:aws:logs:${region}:000000000000:log-group:/e2e/tags40`;
    expect(
      await failure(logs.send(new TagResourceCommand({ resourceArn: arn, tags: tags(11, "x") }))),
    ).toMatchObject({ name: "TooManyTagsException", message: "A resource can have no more than 50 tags." });
    const { tags: kept } = await logs.send(new ListTagsForResourceCommand({ resourceArn: arn }));
    expect(Object.keys(kept ?? {})).toHaveLength(40);
    await logs.send(new TagResourceCommand({ resourceArn: arn, tags: tags(10, "x") }));
    await logs.send(new DeleteLogGroupCommand({ logGroupName: "/e2e/tags40" }));
  });
});
