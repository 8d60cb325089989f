import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import {
  InvokeCommand,
  LambdaClient,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { strToU8 } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActivityEvent } from "../../src/engine/activity.ts";
import { type Engine, startEngine } from "../../src/engine/index.ts";
import { createInlineFunction, createLambdaRole } from "../helpers/lambda-role.ts";
import { eventually } from "../helpers/poll.ts";
import { failure } from "../helpers/s3.ts";

/**
 * Lambda destinations whose target is another function (`DestinationConfig.OnSuccess/OnFailure.Destination =
 * arn:aws:lambda:...:function:<name>`), through the real @aws-sdk/client-lambda: the invocation record (version
 * 1.0) arrives as the target's event, invoked asynchronously as the source function's execution role.
 */

const account = "000000000000";
const arnOf = (name: string) => `arn:aws:lambda:us-east-1:${account}:function:${name}`;
const logPolicy = { Effect: "Allow", Action: "logs:*", Resource: "*" } as const;

let engine: Engine;
let lambda: LambdaClient;
let logs: CloudWatchLogsClient;
/** May invoke `dest-recorder` (and write logs). */
let invokerRole: string;
/** May only write logs. */
let plainRole: string;

const createFunction = (name: string, role: string, body: string) =>
  createInlineFunction(lambda, name, role, body);

/** Invokes `dest-source` asynchronously (`InvocationType: Event`, answered 202); returns its request ID. */
async function invokeSource(event: Record<string, unknown>): Promise<string> {
  const queued = await lambda.send(
    new InvokeCommand({
      FunctionName: "dest-source",
      InvocationType: "Event",
      Payload: strToU8(JSON.stringify(event)),
    }),
  );
  expect(queued.StatusCode).toBe(202);
  return queued.$metadata.requestId as string;
}

/** The invocation records `dest-recorder` logged (one JSON line per event it received), by source request ID. */
async function recordedEvent(requestId: string): Promise<Record<string, unknown>> {
  return eventually(`the record of ${requestId} in dest-recorder's log`, async () => {
    // The log group appears with the recorder's first run.
    const { events = [] } = await logs
      .send(
        new FilterLogEventsCommand({
          logGroupName: "/aws/lambda/dest-recorder",
          filterPattern: "RECEIVED",
        }),
      )
      .catch((error: Error) => {
        if (error.name === "ResourceNotFoundException") return { events: [] };
        throw error;
      });
    for (const event of events) {
      const json = event.message?.slice(event.message.indexOf("{"));
      const received = JSON.parse(json ?? "{}") as { RECEIVED?: Record<string, unknown> };
      const context = received.RECEIVED?.requestContext as { requestId?: string } | undefined;
      if (context?.requestId === requestId) return received.RECEIVED;
    }
    return undefined;
  });
}

const activity: ActivityEvent[] = [];

beforeAll(async () => {
  engine = await startEngine({ port: 0, lambda: { retryBaseDelayMs: 20 } });
  engine.context.events.on("activity", (event) => activity.push(event));
  const client = {
    endpoint: engine.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  };
  lambda = new LambdaClient(client);
  logs = new CloudWatchLogsClient(client);
  invokerRole = await createLambdaRole(engine.endpoint, "dest-invoker", {
    Version: "2012-10-17",
    Statement: [
      logPolicy,
      { Effect: "Allow", Action: "lambda:InvokeFunction", Resource: arnOf("dest-recorder") },
    ],
  });
  plainRole = await createLambdaRole(engine.endpoint, "dest-plain", {
    Version: "2012-10-17",
    Statement: [logPolicy],
  });
  await createFunction(
    "dest-recorder",
    plainRole,
    "console.log(JSON.stringify({ RECEIVED: event })); return 1;",
  );
  await createFunction(
    "dest-source",
    invokerRole,
    'if (event.fail) throw new Error("source failed"); return { doubled: event.n * 2 };',
  );
});

afterAll(async () => {
  lambda?.destroy();
  logs?.destroy();
  await engine?.stop();
});

describe("Lambda destinations: another function as the target (SDK v3)", () => {
  it("invokes the on-success function with the source's invocation record as its event", async () => {
    // Prepare
    await lambda.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: "dest-source",
        MaximumRetryAttempts: 0,
        DestinationConfig: {
          OnSuccess: { Destination: arnOf("dest-recorder") },
          OnFailure: { Destination: arnOf("dest-recorder") },
        },
      }),
    );

    // Act
    const requestId = await invokeSource({ n: 21 });
    const record = await recordedEvent(requestId);

    // Assess
    expect(record).toMatchObject({
      version: "1.0",
      requestContext: {
        requestId,
        functionArn: `${arnOf("dest-source")}:$LATEST`,
        condition: "Success",
        approximateInvokeCount: 1,
      },
      requestPayload: { n: 21 },
      responseContext: { statusCode: 200, executedVersion: "$LATEST" },
      responsePayload: { doubled: 42 },
    });
    expect(activity).toContainEqual(
      expect.objectContaining({
        kind: "async.destination",
        functionName: "dest-source",
        requestId,
        role: "on-success",
        destinationArn: arnOf("dest-recorder"),
        ok: true,
      }),
    );
  });

  it("invokes the on-failure function once the source's retries are exhausted", async () => {
    // Act
    const requestId = await invokeSource({ fail: true });
    const record = await recordedEvent(requestId);

    // Assess: one attempt (MaximumRetryAttempts 0), and the event left the engine's failed list (delivered).
    expect(record).toMatchObject({
      version: "1.0",
      requestContext: { requestId, condition: "RetriesExhausted", approximateInvokeCount: 1 },
      requestPayload: { fail: true },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      responsePayload: { errorType: "Error", errorMessage: "source failed" },
    });
    expect(engine.apis.lambda.listFailedEvents().some((event) => event.requestIds.includes(requestId))).toBe(
      false,
    );
  });

  it("refuses at configuration time what Lambda refuses: itself, a missing function, a role that may not invoke", async () => {
    // Act
    const put = (functionName: string, destination: string) =>
      failure(
        lambda.send(
          new PutFunctionEventInvokeConfigCommand({
            FunctionName: functionName,
            DestinationConfig: { OnSuccess: { Destination: destination } },
          }),
        ),
      );
    const itself = await put("dest-source", arnOf("dest-source"));
    const missing = await put("dest-source", arnOf("no-such-function"));
    const denied = await put("dest-recorder", arnOf("dest-source"));
    const deadLetter = await failure(
      lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: "dest-source",
          DeadLetterConfig: { TargetArn: arnOf("dest-recorder") },
        }),
      ),
    );

    // Assess
    const refusal = (message: string) => ({
      name: "InvalidParameterValueException",
      status: 400,
      error: expect.objectContaining({ message }),
    });
    expect(itself).toMatchObject(refusal("You can't specify the function as a destination for itself."));
    expect(missing).toMatchObject(refusal(`The destination ARN ${arnOf("no-such-function")} is invalid.`));
    expect(denied).toMatchObject(
      refusal(
        `The function's execution role does not have permissions to call InvokeFunction on ${arnOf("dest-source")}`,
      ),
    );
    expect(deadLetter.name).toBe("InvalidParameterValueException");
  });

  it("keeps the failed event when the role may no longer invoke the destination, and reports the refused delivery", async () => {
    // Prepare: the role loses lambda:InvokeFunction after the destination was configured.
    const iam = new IAMClient({
      endpoint: engine.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "dest-invoker",
        PolicyName: "inline",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [logPolicy] }),
      }),
    );
    iam.destroy();

    // Act
    const requestId = await invokeSource({ fail: true });
    const refused = await eventually("the refused delivery", () =>
      activity.find((event) => event.kind === "async.destination" && event.requestId === requestId),
    );

    // Assess
    expect(refused).toMatchObject({ kind: "async.destination", role: "on-failure", ok: false });
    expect(refused).toHaveProperty(
      "error",
      expect.stringContaining("is not authorized to perform: lambda:InvokeFunction on resource: "),
    );
    expect(engine.apis.lambda.listFailedEvents().some((event) => event.requestIds.includes(requestId))).toBe(
      true,
    );
  });
});
