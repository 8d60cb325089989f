import { readFileSync } from "node:fs";
import {
  CloudWatchLogsClient,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
  type OutputLogEvent,
} from "@aws-sdk/client-cloudwatch-logs";
import { AttachRolePolicyCommand, CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  InvokeCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from "@aws-sdk/client-lambda";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { strToU8, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, type EngineOptions, startEngine } from "../../src/engine/index.ts";
import { shapeOf } from "../helpers/events.ts";
import { eventually } from "../helpers/poll.ts";

const region = "us-east-1";
const account = "000000000000";
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const sample: unknown = JSON.parse(
  readFileSync(new URL("../fixtures/events/aws-s3-put-sample.json", import.meta.url), "utf8"),
);

/** A handler that prints the event it received as one JSON line, and fails while MODE=fail. */
const recorderCode = `
  export const handler = async (event) => {
    console.log(JSON.stringify({ received: event }));
    if (process.env.MODE === "fail") throw new Error("failing on purpose");
    return "recorded";
  };`;

/** One engine with clients, a role that may write logs and one that may not, and cleanup of what it made. */
class Sandbox {
  engine!: Engine;
  s3!: S3Client;
  lambda!: LambdaClient;
  logs!: CloudWatchLogsClient;
  loggingRole = "";
  silentRole = "";
  readonly activity: Array<Record<string, unknown>> = [];
  readonly #buckets: string[] = [];
  readonly #record = (event: Record<string, unknown>) => this.activity.push(event);

  async start(options: EngineOptions): Promise<void> {
    this.engine = await startEngine({ port: 0, ...options });
    this.engine.context.events.on("activity", this.#record);
    const config = { endpoint: this.engine.endpoint, region, credentials };
    this.s3 = new S3Client({ ...config, forcePathStyle: true });
    this.lambda = new LambdaClient(config);
    this.logs = new CloudWatchLogsClient(config);
    const iam = new IAMClient(config);
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
      ],
    });
    const logging = await iam.send(
      new CreateRoleCommand({ RoleName: "fn-logging", AssumeRolePolicyDocument: trust }),
    );
    await iam.send(
      new AttachRolePolicyCommand({
        RoleName: "fn-logging",
        PolicyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
      }),
    );
    const silent = await iam.send(
      new CreateRoleCommand({ RoleName: "fn-silent", AssumeRolePolicyDocument: trust }),
    );
    this.loggingRole = logging.Role?.Arn ?? "";
    this.silentRole = silent.Role?.Arn ?? "";
    iam.destroy();
  }

  async createFunction(name: string, role: string, variables: Record<string, string> = {}): Promise<string> {
    const created = await this.lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: "nodejs22.x",
        Role: role,
        Handler: "index.handler",
        Code: { ZipFile: zipSync({ "index.mjs": strToU8(recorderCode) }) },
        Environment: { Variables: variables },
      }),
    );
    await waitUntilFunctionActiveV2({ client: this.lambda, maxWaitTime: 20 }, { FunctionName: name });
    return created.FunctionArn ?? "";
  }

  async allowS3(functionName: string, bucket: string): Promise<void> {
    await this.lambda.send(
      new AddPermissionCommand({
        FunctionName: functionName,
        StatementId: `s3-${bucket}`,
        Action: "lambda:InvokeFunction",
        Principal: "s3.amazonaws.com",
        SourceArn: `arn:aws:s3:::${bucket}`,
        SourceAccount: account,
      }),
    );
  }

  async createBucket(bucket: string): Promise<void> {
    await this.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    this.#buckets.push(bucket);
  }

  notify(bucket: string, functionArn: string, filter?: { prefix?: string; suffix?: string }) {
    const rules = [
      ...(filter?.prefix ? [{ Name: "prefix" as const, Value: filter.prefix }] : []),
      ...(filter?.suffix ? [{ Name: "suffix" as const, Value: filter.suffix }] : []),
    ];
    return this.s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: {
          LambdaFunctionConfigurations: [
            {
              Id: "on-upload",
              LambdaFunctionArn: functionArn,
              Events: ["s3:ObjectCreated:*"],
              ...(rules.length > 0 ? { Filter: { Key: { FilterRules: rules } } } : {}),
            },
          ],
        },
      }),
    );
  }

  /** `invoke.end` activity of a function, in order. */
  ends(functionName: string): Array<Record<string, unknown>> {
    return this.activity.filter(
      (event) => event.kind === "invoke.end" && event.functionName === functionName,
    );
  }

  /** Every log event of every stream in `/aws/lambda/<function>`. */
  async logEvents(functionName: string): Promise<OutputLogEvent[]> {
    const logGroupName = `/aws/lambda/${functionName}`;
    const streams = await this.logs.send(new DescribeLogStreamsCommand({ logGroupName }));
    const events: OutputLogEvent[] = [];
    for (const stream of streams.logStreams ?? []) {
      const page = await this.logs.send(
        new GetLogEventsCommand({ logGroupName, logStreamName: stream.logStreamName, startFromHead: true }),
      );
      events.push(...(page.events ?? []));
    }
    return events;
  }

  async stop(): Promise<void> {
    for (const bucket of this.#buckets) {
      const listed = await this.s3.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => undefined);
      for (const object of listed?.Contents ?? []) {
        await this.s3
          .send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }))
          .catch(() => undefined);
      }
      await this.s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
    }
    this.engine?.context.events.off("activity", this.#record);
    for (const client of [this.s3, this.lambda, this.logs]) client?.destroy();
    await this.engine?.stop();
  }
}

describe("S3 -> Lambda delivery", () => {
  const sandbox = new Sandbox();
  let recorderArn = "";

  beforeAll(async () => {
    await sandbox.start({ lambda: { retryBaseDelayMs: 20 } });
    recorderArn = await sandbox.createFunction("recorder", sandbox.loggingRole);
    await sandbox.createBucket("photos");
  }, 60_000);

  afterAll(() => sandbox.stop());

  it("refuses a notification to a function S3 may not invoke (InvalidArgument)", async () => {
    // Act
    const refused = await sandbox.notify("photos", recorderArn).catch((error: Error) => error);

    // Assess
    expect(refused).toMatchObject({ name: "InvalidArgument" });
  });

  it("delivers an upload as the S3 event AWS sends, and the function's log reaches CloudWatch Logs", async () => {
    // Prepare
    await sandbox.allowS3("recorder", "photos");
    await sandbox.notify("photos", recorderArn, { prefix: "uploads/", suffix: ".jpg" });
    const from = sandbox.ends("recorder").length;

    // Act
    const put = await sandbox.s3.send(
      new PutObjectCommand({ Bucket: "photos", Key: "uploads/red flower+1.jpg", Body: "jpeg bytes" }),
    );
    await sandbox.s3.send(new PutObjectCommand({ Bucket: "photos", Key: "other/skipped.jpg", Body: "x" }));
    await sandbox.s3.send(new PutObjectCommand({ Bucket: "photos", Key: "uploads/skipped.png", Body: "x" }));
    const ended = await eventually("the recorder's invocation", () => sandbox.ends("recorder")[from]);
    const events = await eventually("the recorder's REPORT line", async () => {
      const all = await sandbox.logEvents("recorder");
      return all.some((event) => event.message?.startsWith("REPORT RequestId:")) ? all : undefined;
    });

    // Assess
    expect(ended).toMatchObject({ outcome: "success" });
    const messages = events.map((event) => event.message ?? "");
    const received = messages.filter((message) => message.startsWith('{"received"'));
    expect(received).toHaveLength(1);
    const event = (JSON.parse(received[0] ?? "{}") as { received: unknown }).received;
    expect(shapeOf(event)).toEqual(shapeOf(sample));
    expect(event).toMatchObject({
      Records: [
        {
          eventVersion: "2.1",
          eventSource: "aws:s3",
          awsRegion: region,
          eventName: "ObjectCreated:Put",
          s3: {
            configurationId: "on-upload",
            bucket: { name: "photos", arn: "arn:aws:s3:::photos" },
            object: { key: "uploads/red+flower%2B1.jpg", size: 10, eTag: put.ETag?.replace(/"/g, "") },
          },
        },
      ],
    });
    const requestId = String(ended.requestId);
    expect(messages).toContain(`START RequestId: ${requestId} Version: $LATEST`);
    expect(messages).toContain(`END RequestId: ${requestId}`);
    expect(messages.some((message) => message.startsWith(`REPORT RequestId: ${requestId}\tDuration: `))).toBe(
      true,
    );
    // The other two uploads did not match the filter: S3 decides deliveries before PutObject answers.
    const queued = sandbox.activity.filter(
      (entry) => entry.kind === "s3.delivery.queued" && entry.bucket === "photos",
    );
    expect(queued.map((entry) => entry.key)).toEqual(["uploads/red flower+1.jpg"]);
  }, 30000);

  it("drops the logs of a function whose role may not write them", async () => {
    // Prepare
    await sandbox.createFunction("silent", sandbox.silentRole);

    // Act
    const result = await sandbox.lambda.send(
      new InvokeCommand({ FunctionName: "silent", Payload: Buffer.from("{}") }),
    );
    const logs = await sandbox.logEvents("silent").catch((error: Error) => error);

    // Assess
    expect(result.StatusCode).toBe(200);
    expect(result.FunctionError).toBeUndefined();
    expect(logs).toMatchObject({ name: "ResourceNotFoundException" });
  }, 30000);

  it("retries a failing asynchronous delivery twice, records it as failed, and redrives it", async () => {
    // Prepare
    const arn = await sandbox.createFunction("flaky", sandbox.loggingRole, { MODE: "fail" });
    await sandbox.createBucket("flaky-bucket");
    await sandbox.allowS3("flaky", "flaky-bucket");
    await sandbox.notify("flaky-bucket", arn);
    const lambdaInternal = sandbox.engine.apis.lambda;

    // Act
    await sandbox.s3.send(new PutObjectCommand({ Bucket: "flaky-bucket", Key: "a.jpg", Body: "x" }));
    const failed = await eventually("the failed event of 'flaky'", () =>
      lambdaInternal?.listFailedEvents().find((e) => e.functionName === "flaky"),
    );
    const attempts = sandbox.ends("flaky");
    await sandbox.lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: "flaky",
        Environment: { Variables: { MODE: "ok" } },
      }),
    );
    await waitUntilFunctionUpdatedV2({ client: sandbox.lambda, maxWaitTime: 20 }, { FunctionName: "flaky" });
    const redriven = lambdaInternal?.redriveFailedEvent(failed.id);
    const succeeded = await eventually("a successful invocation of 'flaky'", () =>
      sandbox.ends("flaky").find((event) => event.outcome === "success"),
    );

    // Assess
    expect(failed).toMatchObject({ attempts: 3, errorType: "Error", errorMessage: "failing on purpose" });
    expect(failed.payload).toMatchObject({
      Records: [{ s3: { bucket: { name: "flaky-bucket" }, object: { key: "a.jpg" } } }],
    });
    expect(attempts.map((event) => event.outcome)).toEqual(["error", "error", "error"]);
    expect(new Set(attempts.map((event) => event.requestId)).size).toBe(1);
    expect(redriven).toBe(true);
    expect(succeeded).toMatchObject({ functionName: "flaky" });
    expect(lambdaInternal?.listFailedEvents().some((event) => event.id === failed.id)).toBe(false);
    expect(lambdaInternal?.redriveFailedEvent(failed.id)).toBe(false);
  }, 30000);
});

describe("S3 -> Lambda delivery with duplicate deliveries (deliveryCopies: 3)", () => {
  const sandbox = new Sandbox();

  beforeAll(async () => {
    await sandbox.start({ faults: { deliveryCopies: 3, deliveryJitterMs: 30, seed: 7 } });
  }, 60_000);

  afterAll(() => sandbox.stop());

  it("invokes the function three times with the same event", async () => {
    // Prepare
    const arn = await sandbox.createFunction("recorder", sandbox.loggingRole);
    await sandbox.createBucket("dupes");
    await sandbox.allowS3("recorder", "dupes");
    await sandbox.notify("dupes", arn);

    // Act
    await sandbox.s3.send(new PutObjectCommand({ Bucket: "dupes", Key: "one.jpg", Body: "x" }));
    await eventually("three recorder invocations", () =>
      sandbox.ends("recorder").length >= 3 ? true : undefined,
    );
    const events = await eventually("three received lines", async () => {
      const all = (await sandbox.logEvents("recorder")).filter((event) =>
        event.message?.startsWith('{"received"'),
      );
      return all.length >= 3 ? all : undefined;
    });

    // Assess
    expect(sandbox.ends("recorder").map((event) => event.outcome)).toEqual(["success", "success", "success"]);
    const bodies = events.map((event) =>
      JSON.stringify((JSON.parse(event.message ?? "{}") as { received: unknown }).received),
    );
    expect(bodies).toHaveLength(3);
    expect(new Set(bodies).size).toBe(1);
  }, 30000);
});
