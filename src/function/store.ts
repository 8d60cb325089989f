import { type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { marshall } from "@aws-sdk/util-dynamodb";
import { errorName, httpStatusOf } from "../aws/errors.ts";
import {
  DuplicateRecordError,
  ObjectAccessDeniedError,
  ObjectMissingError,
  ObjectReadServerError,
  ObjectSupersededError,
} from "./errors.ts";
import type { ImageMetadataItem, ObjectHead } from "./record.ts";
import type { VersionSelector } from "./s3-event.ts";

/** The two AWS calls the function makes, behind one small adapter (tests mock here and only here). */
export interface MetadataStore {
  /**
   * The head of the version `version` selects (the current object when empty). Throws ObjectMissingError when
   * the key or version is gone, ObjectSupersededError when the current object no longer has the ETag asked for.
   */
  headObject(bucket: string, key: string, version?: VersionSelector): Promise<ObjectHead>;
  /** Writes the item unless its PK/SK exists; throws DuplicateRecordError when it does. */
  putRecordIfAbsent(item: ImageMetadataItem): Promise<void>;
}

/** MetadataStore on the AWS SDK v3: HeadObject (metadata only, no body) and a conditional PutItem. */
export function createAwsMetadataStore(clients: {
  s3: S3Client;
  dynamo: DynamoDBClient;
  tableName: string;
}): MetadataStore {
  return {
    async headObject(bucket, key, version = {}) {
      try {
        const head = await clients.s3.send(
          new HeadObjectCommand({
            Bucket: bucket,
            Key: key,
            ...("versionId" in version ? { VersionId: version.versionId } : {}),
            ...("ifMatch" in version ? { IfMatch: version.ifMatch } : {}),
          }),
        );
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
        const status = httpStatusOf(error) ?? 0;
        if (status >= 500) throw new ObjectReadServerError(bucket, key, status, { cause: error });
        if (
          "ifMatch" in version &&
          (httpStatusOf(error) === 412 || errorName(error) === "PreconditionFailed")
        )
          throw new ObjectSupersededError(bucket, key, version.ifMatch, { cause: error });
        throw error;
      }
    },
    async putRecordIfAbsent(item) {
      try {
        await clients.dynamo.send(
          new PutItemCommand({
            TableName: clients.tableName,
            Item: marshall(item, { removeUndefinedValues: true }),
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
