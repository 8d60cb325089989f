/**
 * The input members each operation handles (the JSON protocol's names). The dispatcher refuses any other member by
 * name instead of ignoring it; test/unit/member-coverage.test.ts checks these against the SDK's and lists the
 * members knowingly refused: `MessageSystemAttributes` (`AWSTraceHeader`), `ReceiveRequestAttemptId`, and
 * ListDeadLetterSourceQueues' paging (the engine answers every source queue at once).
 */
export const sqsOperationMembers: Readonly<Record<string, readonly string[]>> = {
  CreateQueue: ["QueueName", "Attributes", "tags"],
  GetQueueUrl: ["QueueName", "QueueOwnerAWSAccountId"],
  GetQueueAttributes: ["QueueUrl", "AttributeNames"],
  SetQueueAttributes: ["QueueUrl", "Attributes"],
  SendMessage: [
    "QueueUrl",
    "MessageBody",
    "DelaySeconds",
    "MessageAttributes",
    "MessageDeduplicationId",
    "MessageGroupId",
  ],
  SendMessageBatch: ["QueueUrl", "Entries"],
  ReceiveMessage: [
    "QueueUrl",
    "AttributeNames",
    "MessageSystemAttributeNames",
    "MessageAttributeNames",
    "MaxNumberOfMessages",
    "VisibilityTimeout",
    "WaitTimeSeconds",
  ],
  DeleteMessage: ["QueueUrl", "ReceiptHandle"],
  DeleteMessageBatch: ["QueueUrl", "Entries"],
  ChangeMessageVisibility: ["QueueUrl", "ReceiptHandle", "VisibilityTimeout"],
  ChangeMessageVisibilityBatch: ["QueueUrl", "Entries"],
  PurgeQueue: ["QueueUrl"],
  DeleteQueue: ["QueueUrl"],
  ListQueues: ["QueueNamePrefix", "NextToken", "MaxResults"],
  ListDeadLetterSourceQueues: ["QueueUrl"],
  TagQueue: ["QueueUrl", "Tags"],
  UntagQueue: ["QueueUrl", "TagKeys"],
  ListQueueTags: ["QueueUrl"],
  StartMessageMoveTask: ["SourceArn", "DestinationArn", "MaxNumberOfMessagesPerSecond"],
  ListMessageMoveTasks: ["SourceArn", "MaxResults"],
  CancelMessageMoveTask: ["TaskHandle"],
};
