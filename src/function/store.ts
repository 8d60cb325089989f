import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { errorName, httpStatusOf } from "../aws/errors.ts";
import { DuplicateRecordError, ObjectAccessDeniedError, ObjectMissingError } from "./errors.ts";
import type { ImageMetadataItem, ObjectHead } from "./record.ts";

/** The two AWS calls the function makes, behind one small adapter (tests mock here and only here). */
export interface MetadataStore {
  headObject(bucket: string, key: string): Promise<ObjectHead>;
  /** Writes the item unless its PK/SK exists; throws DuplicateRecordError when it does. */
  putRecordIfAbsent(item: ImageMetadataItem): Promise<void>;
}

/** MetadataStore on the AWS SDK v3: HeadObject (metadata only, no body) and a conditional PutItem. */
export function createAwsMetadataStore(clients: {
  s3: S3Client;
  dynamo: DynamoDBDocumentClient;
  tableName: string;
}): MetadataStore {
  return {
    async headObject(bucket, key) {
      try {
        const head = await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        const result: ObjectHead = { eTag: head.ETag ?? "", contentLength: head.ContentLength ?? 0 };
        if (head.ContentType) result.contentType = head.ContentType;
        if (head.LastModified) result.lastModified = head.LastModified;
        if (head.Metadata) result.metadata = head.Metadata;
        if (head.VersionId) result.versionId = head.VersionId;
        if (head.ServerSideEncryption) result.serverSideEncryption = head.ServerSideEncryption;
        return result;
      } catch (error) {
        // HEAD has no body, so a missing key surfaces as NotFound (404) rather than NoSuchKey.
        if (
          errorName(error) === "NotFound" ||
          errorName(error) === "NoSuchKey" ||
          httpStatusOf(error) === 404
        ) {
          throw new ObjectMissingError(bucket, key, { cause: error });
        }
        if (httpStatusOf(error) === 403) throw new ObjectAccessDeniedError(bucket, key, { cause: error });
        throw error;
      }
    },
    async putRecordIfAbsent(item) {
      try {
        await clients.dynamo.send(
          new PutCommand({
            TableName: clients.tableName,
            Item: item,
            ConditionExpression: "attribute_not_exists(PK) AND attribute_not_exists(SK)",
          }),
        );
      } catch (error) {
        if (errorName(error) === "ConditionalCheckFailedException") {
          throw new DuplicateRecordError(item.PK, item.SK, { cause: error });
        }
        throw error;
      }
    },
  };
}
