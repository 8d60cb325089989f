import { describe, expect, it } from "vitest";
import { decodeQueryInput, QueryParams } from "../../src/engine/service/index.ts";
import { queueNameFromUrl } from "../../src/engine/sqs/operations.ts";
import { fromQueryInput, toQueryResult } from "../../src/engine/sqs/query-protocol.ts";

/** The JSON-shaped input of a query request body, as the SQS declaration decodes it. */
const decode = (operation: string, body: string) =>
  fromQueryInput(
    operation,
    decodeQueryInput(new QueryParams({ query: new URLSearchParams(), body: Buffer.from(body) })),
  );

describe("Function: fromQueryInput", () => {
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

describe("Function: toQueryResult", () => {
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
    expect(toQueryResult("DeleteQueue", {})).toBeUndefined();
    expect(toQueryResult("ReceiveMessage", {})).toEqual({});
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
