import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { AnyOperation } from "../../src/engine/service/index.ts";
import { validateInput } from "../../src/engine/service/validation.ts";
import { SqsError } from "../../src/engine/sqs/errors.ts";
import { integer, parseEntry, sqsInputError, text } from "../../src/engine/sqs/inputs.ts";
import { type SqsOperationContext, sqsOperations } from "../../src/engine/sqs/operations.ts";

/** SQS's member schemas fail as SQS words it, through the declaration's validationError hook. */

const operations = new Map(sqsOperations({} as SqsOperationContext).map((entry) => [entry.name, entry]));
const input = (name: string): z.ZodType => (operations.get(name) as AnyOperation).input as z.ZodType;

/** The SqsError the service answers for `value` as `operation`'s input, or the validated input. */
function validated(operation: string, value: unknown): { code: string; message: string } | unknown {
  const result = validateInput(input(operation), value);
  if (result.ok) return result.value;
  if ("unsupported" in result) return { unsupported: result.unsupported };
  const [issue] = result.issues;
  if (!issue) throw new Error("a schema failure without its issue");
  const error = sqsInputError(issue);
  return { code: error.code, message: error.message };
}

describe("SQS input schemas", () => {
  it("answers a missing required member with MissingParameter naming it", () => {
    expect(validated("SendMessage", { MessageBody: "b" })).toEqual({
      code: "MissingParameter",
      message: "The request must contain the parameter QueueUrl.",
    });
    expect(validated("ChangeMessageVisibility", { QueueUrl: "u", ReceiptHandle: "r" })).toEqual({
      code: "MissingParameter",
      message: "The request must contain the parameter VisibilityTimeout.",
    });
  });

  it("answers a mistyped member with InvalidParameterValue in SQS's words", () => {
    expect(validated("SendMessage", { QueueUrl: "u", DelaySeconds: "soon" })).toEqual({
      code: "InvalidParameterValue",
      message: "Value soon for parameter DelaySeconds is invalid.",
    });
    expect(validated("SendMessage", { QueueUrl: 5 })).toEqual({
      code: "InvalidParameterValue",
      message: "Value for parameter QueueUrl is invalid. Reason: must be a string.",
    });
    expect(validated("ReceiveMessage", { QueueUrl: "u", AttributeNames: [1] })).toEqual({
      code: "InvalidParameterValue",
      message: "Value for parameter AttributeNames is invalid. Reason: must be a list of strings.",
    });
    expect(validated("SetQueueAttributes", { QueueUrl: "u", Attributes: ["x"] })).toEqual({
      code: "InvalidParameterValue",
      message: "Value for parameter Attributes is invalid. Reason: must be a map.",
    });
    expect(validated("SendMessage", { QueueUrl: "u", MessageAttributes: "x" })).toEqual({
      code: "InvalidParameterValue",
      message: "Value for parameter MessageAttributes is invalid.",
    });
  });

  it("takes the query protocol's integers as text, and maps' values as text", () => {
    expect(validated("ReceiveMessage", { QueueUrl: "u", MaxNumberOfMessages: "10" })).toEqual({
      QueueUrl: "u",
      MaxNumberOfMessages: 10,
    });
    expect(validated("CreateQueue", { QueueName: "q", Attributes: { DelaySeconds: 5 } })).toEqual({
      QueueName: "q",
      Attributes: { DelaySeconds: "5" },
    });
  });

  it("refuses a member the operation does not handle, by name", () => {
    expect(validated("SendMessage", { QueueUrl: "u", MessageSystemAttributes: {} })).toEqual({
      unsupported: ["MessageSystemAttributes"],
    });
  });

  it("fails one batch entry alone, worded as a request's member", () => {
    const entry = z.object({ Id: z.unknown(), VisibilityTimeout: integer, ReceiptHandle: text });
    expect(parseEntry(entry, { Id: "a", VisibilityTimeout: "3", ReceiptHandle: "r" })).toEqual({
      Id: "a",
      VisibilityTimeout: 3,
      ReceiptHandle: "r",
    });
    const missing = (() => {
      try {
        return parseEntry(entry, { Id: "a", ReceiptHandle: "r" });
      } catch (error) {
        return error;
      }
    })();
    expect(missing).toBeInstanceOf(SqsError);
    expect(missing).toMatchObject({
      code: "MissingParameter",
      message: "The request must contain the parameter VisibilityTimeout.",
    });
  });
});
