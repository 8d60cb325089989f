import { describe, expect, it } from "vitest";
import { type AnyOperation, QueryParams } from "../../src/engine/service/index.ts";
import { queueNameFromUrl } from "../../src/engine/sqs/inputs.ts";
import { type SqsOperationContext, sqsOperations } from "../../src/engine/sqs/operations.ts";
import { sqsQueryCodec } from "../../src/engine/sqs/query-protocol.ts";

/** SQS's declared operations (their members decide where `Tag.N` goes); nothing is called at declaration. */
const operations = new Map(
  sqsOperations({} as SqsOperationContext).map((operation) => [operation.name, operation]),
);
const declared = (name: string): AnyOperation => {
  const found = operations.get(name);
  if (!found) throw new Error(`SQS declares no ${name}`);
  return found;
};

/** The JSON-shaped input of a query request body, as the SQS declaration's query codec decodes it. */
const decode = (operation: string, body: string) =>
  sqsQueryCodec.decode(
    new QueryParams({ query: new URLSearchParams(), body: Buffer.from(body) }),
    declared(operation),
  );
const toQueryResult = (operation: string, output: Record<string, unknown> | undefined) =>
  sqsQueryCodec.encode(output, declared(operation));

describe("SQS query codec: decode", () => {
  it("turns flattened maps, lists and batch entries into the JSON protocol's members", () => {
    expect(
      decode(
        "SendMessageBatch",
        "Action=SendMessageBatch&QueueUrl=u&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=m" +
          "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=n&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=Number" +
          "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=1&SendMessageBatchRequestEntry.2.Id=b" +
          "&SendMessageBatchRequestEntry.2.MessageBody=o&SendMessageBatchRequestEntry.2.DelaySeconds=5",
      ),
    ).toEqual({
      QueueUrl: "u",
      Entries: [
        { Id: "a", MessageBody: "m", MessageAttributes: { n: { DataType: "Number", StringValue: "1" } } },
        { Id: "b", MessageBody: "o", DelaySeconds: "5" },
      ],
    });
    expect(
      decode(
        "CreateQueue",
        "Action=CreateQueue&QueueName=q&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=5&Tag.1.Key=k&Tag.1.Value=v",
      ),
    ).toEqual({ QueueName: "q", Attributes: { VisibilityTimeout: "5" }, tags: { k: "v" } });
    expect(
      decode(
        "ReceiveMessage",
        "Action=ReceiveMessage&QueueUrl=u&AttributeName.1=All&MessageSystemAttributeName.1=SenderId&MessageAttributeName.1=a.*",
      ),
    ).toEqual({
      QueueUrl: "u",
      AttributeNames: ["All"],
      MessageSystemAttributeNames: ["SenderId"],
      MessageAttributeNames: ["a.*"],
    });
    expect(decode("TagQueue", "Action=TagQueue&QueueUrl=u&Tag.1.Key=k&Tag.1.Value=v")).toEqual({
      QueueUrl: "u",
      Tags: { k: "v" },
    });
  });
});

describe("SQS query codec: encode", () => {
  it("flattens maps and lists into the query protocol's elements", () => {
    expect(
      toQueryResult("ReceiveMessage", {
        Messages: [
          {
            MessageId: "m",
            Body: "b",
            Attributes: { SenderId: "s" },
            MessageAttributes: { n: { DataType: "Number", StringValue: "1" } },
          },
        ],
      }),
    ).toEqual({
      Message: [
        {
          MessageId: "m",
          Body: "b",
          Attribute: [{ Name: "SenderId", Value: "s" }],
          MessageAttribute: [{ Name: "n", Value: { DataType: "Number", StringValue: "1" } }],
        },
      ],
    });
    expect(toQueryResult("DeleteMessageBatch", { Successful: [{ Id: "a" }], Failed: [] })).toEqual({
      DeleteMessageBatchResultEntry: [{ Id: "a" }],
      BatchResultErrorEntry: [],
    });
    expect(toQueryResult("ListQueueTags", { Tags: { k: "v" } })).toEqual({ Tag: [{ Key: "k", Value: "v" }] });
    expect(toQueryResult("ListQueues", { QueueUrls: ["u"] })).toEqual({ QueueUrl: ["u"] });
    expect(toQueryResult("ListMessageMoveTasks", { Results: [{ Status: "RUNNING" }] })).toEqual({
      ListMessageMoveTasksResultEntry: [{ Status: "RUNNING" }],
    });
    // An operation without output (its handler answers undefined) has no <Result>; one with output always has.
    expect(toQueryResult("DeleteQueue", undefined)).toBeUndefined();
    expect(toQueryResult("ReceiveMessage", {})).toEqual({});
    expect(toQueryResult("ListQueueTags", {})).toEqual({});
  });
});

describe("Function: queueNameFromUrl", () => {
  it("reads the name after this account from any host, and refuses another account's queue", () => {
    expect(queueNameFromUrl("http://localhost:4566/000000000000/q", "000000000000")).toBe("q");
    expect(queueNameFromUrl("https://sqs.us-east-1.amazonaws.com/000000000000/q/", "000000000000")).toBe("q");
    expect(() => queueNameFromUrl("http://localhost:4566/111111111111/q", "000000000000")).toThrow(
      "The specified queue does not exist.",
    );
  });
});
