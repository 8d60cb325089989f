import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  DeleteFunctionEventInvokeConfigCommand,
  GetFunctionConfigurationCommand,
  GetFunctionEventInvokeConfigCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionEventInvokeConfigsCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionConfigurationCommand,
  UpdateFunctionEventInvokeConfigCommand,
  waitUntilFunctionUpdatedV2,
} from "@aws-sdk/client-lambda";
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { strToU8 } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { createInlineFunction, createLambdaRole } from "../helpers/lambda-role.ts";
import { eventually } from "../helpers/poll.ts";

const run = promisify(execFile);
const account = "000000000000";
const queueArn = `arn:aws:sqs:us-east-1:${account}:fn-failures`;
const otherQueueArn = `arn:aws:sqs:us-east-1:${account}:elsewhere`;
const deadLetterArn = `arn:aws:sqs:us-east-1:${account}:fn-dead-letters`;

let engine: Engine;
let lambda: LambdaClient;
let sqs: SQSClient;
/** May send to `fn-failures` only. */
let senderRole: string;
/** May send nowhere. */
let plainRole: string;

const createFunction = (name: string, role: string, extra: Record<string, unknown> = {}) =>
  createInlineFunction(lambda, name, role, 'throw new Error("always fails");', extra);

/** The rejection of `promise` (fails the test if it resolves). */
async function failure(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the request to fail");
}

beforeAll(async () => {
  engine = await startEngine({ port: 0, lambda: { retryBaseDelayMs: 20 } });
  lambda = new LambdaClient({
    endpoint: engine.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  sqs = new SQSClient({
    endpoint: engine.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  senderRole = await createLambdaRole(engine.endpoint, "eic-sender", {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "sqs:SendMessage", Resource: [queueArn, deadLetterArn] }],
  });
  plainRole = await createLambdaRole(engine.endpoint, "eic-plain");
  await createFunction("eic-fn", senderRole);
  await createFunction("eic-plain-fn", plainRole);
});

afterAll(async () => {
  lambda?.destroy();
  sqs?.destroy();
  await engine?.stop();
});

describe("Lambda event-invoke configuration (SDK v3)", () => {
  it("puts, gets, updates, lists and deletes a function's configuration", async () => {
    // Act
    const put = await lambda.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: "eic-fn",
        MaximumRetryAttempts: 1,
        MaximumEventAgeInSeconds: 600,
        DestinationConfig: { OnFailure: { Destination: queueArn } },
      }),
    );
    const got = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: "eic-fn" }));
    const updated = await lambda.send(
      new UpdateFunctionEventInvokeConfigCommand({ FunctionName: "eic-fn", MaximumRetryAttempts: 0 }),
    );
    const listed = await lambda.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: "eic-fn" }));
    await lambda.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: "eic-fn" }));
    const gone = await failure(
      lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: "eic-fn" })),
    );

    // Assess
    const functionArn = `arn:aws:lambda:us-east-1:${account}:function:eic-fn:$LATEST`;
    expect(put).toMatchObject({
      FunctionArn: functionArn,
      MaximumRetryAttempts: 1,
      MaximumEventAgeInSeconds: 600,
      DestinationConfig: { OnFailure: { Destination: queueArn }, OnSuccess: {} },
    });
    expect(put.LastModified).toBeInstanceOf(Date);
    expect(Math.abs((put.LastModified?.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
    expect(got).toMatchObject({ FunctionArn: functionArn, MaximumRetryAttempts: 1 });
    expect(updated).toMatchObject({
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 600,
      DestinationConfig: { OnFailure: { Destination: queueArn } },
    });
    expect(listed.FunctionEventInvokeConfigs).toHaveLength(1);
    expect(listed.FunctionEventInvokeConfigs?.[0]).toMatchObject({
      FunctionArn: functionArn,
      MaximumRetryAttempts: 0,
    });
    expect(gone).toMatchObject({
      name: "ResourceNotFoundException",
      message: `The function arn:aws:lambda:us-east-1:${account}:function:eic-fn:$LATEST doesn't have an EventInvokeConfig`,
    });
  });

  it("validates members as Lambda does", async () => {
    // Act
    const retries = await failure(
      lambda.send(
        new PutFunctionEventInvokeConfigCommand({ FunctionName: "eic-fn", MaximumRetryAttempts: 3 }),
      ),
    );
    const age = await failure(
      lambda.send(
        new PutFunctionEventInvokeConfigCommand({ FunctionName: "eic-fn", MaximumEventAgeInSeconds: 59 }),
      ),
    );
    const empty = await failure(
      lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: "eic-fn" })),
    );
    const badArn = await failure(
      lambda.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: "eic-fn",
          DestinationConfig: { OnFailure: { Destination: "not-an-arn" } },
        }),
      ),
    );
    const update = await failure(
      lambda.send(
        new UpdateFunctionEventInvokeConfigCommand({ FunctionName: "eic-fn", MaximumRetryAttempts: 1 }),
      ),
    );

    // Assess
    expect(retries).toMatchObject({
      name: "ValidationException",
      message:
        "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2",
    });
    expect(age).toMatchObject({
      name: "ValidationException",
      message:
        "1 validation error detected: Value '59' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60",
    });
    expect(empty).toMatchObject({
      name: "InvalidParameterValueException",
      message: "You must specify at least one of error handling or destination setting.",
    });
    expect(badArn.name).toBe("ValidationException");
    expect(badArn.message).toContain("at 'destinationConfig.onFailure.destination'");
    expect(update.name).toBe("ResourceNotFoundException");
  });

  it("refuses a destination the execution role may not send to, or that is not a queue", async () => {
    // Act
    const denied = await failure(
      lambda.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: "eic-fn",
          DestinationConfig: { OnFailure: { Destination: otherQueueArn } },
        }),
      ),
    );
    const topic = await failure(
      lambda.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: "eic-fn",
          DestinationConfig: { OnSuccess: { Destination: `arn:aws:sns:us-east-1:${account}:topic` } },
        }),
      ),
    );

    // Assess
    expect(denied).toMatchObject({
      name: "InvalidParameterValueException",
      message: `The function's execution role does not have permissions to call SendMessage on ${otherQueueArn}`,
    });
    expect(topic.name).toBe("InvalidParameterValueException");
  });

  it("keeps a DeadLetterConfig the role may send to, removes it with an empty TargetArn, refuses one it may not", async () => {
    // Act
    await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: "eic-fn",
        DeadLetterConfig: { TargetArn: queueArn },
      }),
    );
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 20 }, { FunctionName: "eic-fn" });
    const withQueue = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "eic-fn" }));
    await lambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: "eic-fn", DeadLetterConfig: { TargetArn: "" } }),
    );
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 20 }, { FunctionName: "eic-fn" });
    const without = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "eic-fn" }));
    const refused = await failure(
      createFunction("eic-dlq-refused", plainRole, { DeadLetterConfig: { TargetArn: queueArn } }),
    );

    // Assess
    expect(withQueue.DeadLetterConfig).toEqual({ TargetArn: queueArn });
    expect(without.DeadLetterConfig).toBeUndefined();
    expect(refused).toMatchObject({
      name: "InvalidParameterValueException",
      message: "The provided execution role does not have permissions to call SendMessage on SQS",
    });
  });

  it("retries a failing event only MaximumRetryAttempts times", async () => {
    // Prepare
    await lambda.send(
      new PutFunctionEventInvokeConfigCommand({ FunctionName: "eic-plain-fn", MaximumRetryAttempts: 0 }),
    );

    // Act
    const queued = await lambda.send(
      new InvokeCommand({ FunctionName: "eic-plain-fn", InvocationType: "Event", Payload: strToU8("{}") }),
    );
    const failed = await eventually("the failed event of eic-plain-fn", () =>
      engine.apis.lambda.listFailedEvents().find((event) => event.functionName === "eic-plain-fn"),
    );

    // Assess
    expect(queued.StatusCode).toBe(202);
    expect(failed).toMatchObject({ attempts: 1, errorType: "Error", errorMessage: "always fails" });
  });
});

describe("Lambda destinations and dead-letter queue (SQS)", () => {
  /** The next message of a queue (long polling), with its attributes. */
  async function receive(queueUrl: string) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        WaitTimeSeconds: 10,
        MessageAttributeNames: ["All"],
        MaxNumberOfMessages: 1,
      }),
    );
    const [message] = Messages;
    if (!message) throw new Error(`no message in ${queueUrl}`);
    return message;
  }

  it("sends a failed event's invocation record to the on-failure queue and its payload to the dead-letter queue", async () => {
    // Prepare: a function that throws, retried once, with both a destination and a DLQ its role may send to.
    const failures = await sqs.send(new CreateQueueCommand({ QueueName: "fn-failures" }));
    const deadLetters = await sqs.send(new CreateQueueCommand({ QueueName: "fn-dead-letters" }));
    await createFunction("eic-dest-fn", senderRole, { DeadLetterConfig: { TargetArn: deadLetterArn } });
    await lambda.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: "eic-dest-fn",
        MaximumRetryAttempts: 1,
        DestinationConfig: { OnFailure: { Destination: queueArn } },
      }),
    );
    const payload = { Records: [{ s3: { bucket: { name: "photos" }, object: { key: "a.jpg" } } }] };

    // Act
    const queued = await lambda.send(
      new InvokeCommand({
        FunctionName: "eic-dest-fn",
        InvocationType: "Event",
        Payload: strToU8(JSON.stringify(payload)),
      }),
    );
    const record = await receive(failures.QueueUrl ?? "");
    const deadLetter = await receive(deadLetters.QueueUrl ?? "");

    // Assess: AWS's record shape, sent after both attempts.
    const requestId = queued.$metadata.requestId;
    const body = JSON.parse(record.Body ?? "{}");
    expect(body).toMatchObject({
      version: "1.0",
      requestContext: {
        requestId,
        functionArn: `arn:aws:lambda:us-east-1:${account}:function:eic-dest-fn:$LATEST`,
        condition: "RetriesExhausted",
        approximateInvokeCount: 2,
      },
      requestPayload: payload,
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      responsePayload: { errorType: "Error", errorMessage: "always fails" },
    });
    expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
    expect(JSON.parse(deadLetter.Body ?? "")).toEqual(payload);
    expect(deadLetter.MessageAttributes).toMatchObject({
      RequestID: { DataType: "String", StringValue: requestId },
      ErrorCode: { DataType: "Number", StringValue: "200" },
      ErrorMessage: { DataType: "String", StringValue: "always fails" },
    });
  });

  it("sends a successful event's record to the on-success queue", async () => {
    // Prepare
    const successes = await sqs.send(new CreateQueueCommand({ QueueName: "fn-successes" }));
    const successArn = `arn:aws:sqs:us-east-1:${account}:fn-successes`;
    const okRole = await createLambdaRole(engine.endpoint, "eic-ok", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "sqs:SendMessage", Resource: successArn }],
    });
    await createInlineFunction(lambda, "eic-ok-fn", okRole, "return { done: event.n };");
    await lambda.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: "eic-ok-fn",
        DestinationConfig: { OnSuccess: { Destination: successArn } },
      }),
    );

    // Act
    await lambda.send(
      new InvokeCommand({ FunctionName: "eic-ok-fn", InvocationType: "Event", Payload: strToU8('{"n":7}') }),
    );
    const message = await receive(successes.QueueUrl ?? "");

    // Assess
    expect(JSON.parse(message.Body ?? "{}")).toMatchObject({
      requestContext: { condition: "Success", approximateInvokeCount: 1 },
      requestPayload: { n: 7 },
      responseContext: { statusCode: 200, executedVersion: "$LATEST" },
      responsePayload: { done: 7 },
    });
  });
});

describe("Lambda event-invoke configuration (AWS CLI v2)", () => {
  it("puts and reads the configuration", async () => {
    // Prepare
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_PAGER: "",
    };
    const aws = (...args: string[]) =>
      run("/usr/bin/aws", ["--endpoint-url", engine.endpoint, "lambda", ...args], { env });

    // Act
    await aws(
      "put-function-event-invoke-config",
      "--function-name",
      "eic-plain-fn",
      "--maximum-retry-attempts",
      "2",
      "--maximum-event-age-in-seconds",
      "3600",
    );
    const { stdout } = await aws("get-function-event-invoke-config", "--function-name", "eic-plain-fn");

    // Assess
    expect(JSON.parse(stdout)).toMatchObject({
      FunctionArn: `arn:aws:lambda:us-east-1:${account}:function:eic-plain-fn:$LATEST`,
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
    });
  });
});
