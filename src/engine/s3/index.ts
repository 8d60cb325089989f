import type { EngineContext } from "../context.ts";
import type { EngineOptions } from "../options.ts";
import { createDispatcher } from "../service/index.ts";
import type { Service } from "../types.ts";
import type { S3ObjectSummary, S3ReadApi } from "./contract.ts";
import { s3CrossOriginAccess } from "./cross-origin.ts";
import { s3Declaration } from "./declaration.ts";
import { Sequencer } from "./events.ts";
import { lambdaNotifications } from "./notifications.ts";
import { createNotifiers, type NotificationTargets, S3EventNotifications } from "./notifiers/index.ts";
import type { S3Runtime } from "./runtime.ts";
import type { ObjectRecord } from "./storage/records.ts";
import { S3Store } from "./storage/store.ts";

/** The S3 service plus its typed, in-process read API (contract.ts). */
export interface S3Service extends Service, S3ReadApi {}

/** What S3 needs from the other services: the destinations its event notifications deliver to. */
export type S3Dependencies = NotificationTargets;

/**
 * Creates the engine's S3 (REST-XML, API 2006-03-01): path-style and virtual-hosted addressing, buckets and
 * their configuration, objects, multipart uploads, aws-chunked bodies and flexible checksums, IAM checks for
 * role callers, fault injection, `objectCreated` events once writes are durable, and the event notifications
 * that deliver them (one notifier per destination type, `notifiers/`). Requests go through the shared
 * dispatcher over S3's declaration (`declaration.ts`).
 */
export async function createS3Service(
  context: EngineContext,
  options: EngineOptions,
  targets: S3Dependencies,
): Promise<S3Service> {
  const store = await S3Store.open(
    context.store,
    (message) => context.log(message),
    options.s3JournalCompactAfter !== undefined ? { compactAfter: options.s3JournalCompactAfter } : {},
  );
  const notifications = new S3EventNotifications({
    context,
    notifiers: createNotifiers(targets, {
      accountId: context.accountId,
      faults: context.faults,
      log: (message) => context.log(message),
      activity: (event) => context.events.activity(event),
    }),
    configuration: (bucket) => store.buckets.get(bucket)?.configuration.notification,
  });
  const runtime: S3Runtime = {
    context,
    store,
    sequencer: new Sequencer(store.maxSequencer),
    notifications,
    verifySignatures: options.verifySignatures === true,
  };

  const summary = (bucket: string, object: ObjectRecord): S3ObjectSummary => {
    const result: S3ObjectSummary = {
      bucket,
      key: object.key,
      size: object.size,
      eTag: object.etag,
      lastModified: object.lastModified,
      contentType: object.contentType,
      metadata: { ...object.metadata },
    };
    if (object.versionId !== undefined) result.versionId = object.versionId;
    return result;
  };

  return {
    signingName: "s3",
    handle: createDispatcher(s3Declaration(runtime), context),
    crossOriginAccess: (head, origin) => s3CrossOriginAccess(runtime, head, origin),
    headObject(bucket, key) {
      const object = store.buckets.get(bucket)?.objects.get(key);
      return object ? summary(bucket, object) : undefined;
    },
    listObjects(bucketName, prefix = "") {
      const bucket = store.buckets.get(bucketName);
      if (!bucket) return undefined;
      return bucket
        .sortedKeys()
        .filter((key) => key.startsWith(prefix))
        .map((key) => summary(bucketName, bucket.objects.get(key) as ObjectRecord));
    },
    async readObject(bucket, key) {
      const object = store.buckets.get(bucket)?.objects.get(key);
      return object ? store.blobs.readAll(object.blob, 0, object.size - 1) : undefined;
    },
    listBuckets() {
      return [...store.buckets.values()].map(({ record }) => ({ ...record }));
    },
    getNotificationConfiguration(bucket) {
      return lambdaNotifications(store.buckets.get(bucket)?.configuration.notification);
    },
    async close() {
      notifications.close();
      await store.close();
    },
  };
}
