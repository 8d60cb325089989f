/**
 * The queue policy AWS documents for S3 event notifications: `s3.amazonaws.com` may send to the queue for
 * `bucket` (aws:SourceArn) in `account` (aws:SourceAccount), and nothing else.
 */
export function s3SendPolicy(queueArn: string, bucket: string, account = "000000000000"): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "s3.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: queueArn,
        Condition: {
          ArnLike: { "aws:SourceArn": `arn:aws:s3:::${bucket}` },
          StringEquals: { "aws:SourceAccount": account },
        },
      },
    ],
  });
}
