import { MiB, tooLarge } from "../request-limits.ts";
import type { ServiceSection } from "../service/section.ts";

/** DynamoDB refuses requests over 16 MB (items are limited to 400 KB by the backend itself). */
const dynamoDbRequestBytes = 16 * MiB;

/** DynamoDB's service-level section (service/section.ts): JSON 1.0, `DynamoDB_20120810.<Op>` and Streams'. */
export const dynamoDbSection: ServiceSection = {
  signingName: "dynamodb",
  protocols: {
    json: {
      version: "1.0",
      targetPrefixes: ["DynamoDB_20120810", "DynamoDBStreams_20120810"],
      errorPrefix: "com.amazonaws.dynamodb.v20120810",
    },
  },
  bodyLimit: (_head, operation) =>
    tooLarge(dynamoDbRequestBytes, operation || "unknown", "RequestEntityTooLarge"),
  throttling: { status: 400, code: "ThrottlingException" },
  internalErrorCode: "InternalServerError",
  // dynalite's LevelDB; Amazon DynamoDB Local (`--dynamodb-backend dynamodb-local`) keeps its own files aside.
  storage: { directory: "dynamodb", level: true },
};
