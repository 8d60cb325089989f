import { describe, expect, it } from "vitest";
import { ObjectMissingError, ObjectSupersededError } from "../../src/function/errors.ts";
import { type IngestLogger, ingestEvent } from "../../src/function/ingest.ts";
import type { ImageMetadataItem, ObjectHead } from "../../src/function/record.ts";
import { parseS3Event, type VersionSelector, versionSelector } from "../../src/function/s3-event.ts";
import type { MetadataStore } from "../../src/function/store.ts";
import { loadEvent } from "../helpers/events.ts";

type S3Record = { s3: { object: Record<string, unknown> } };

/** An event announcing `key` with `eTag` (and `versionId`), from the put-simple fixture. */
function eventFor(key: string, eTag: string, versionId?: string): unknown {
  const event = structuredClone(loadEvent("put-simple")) as { Records: S3Record[] };
  const object = (event.Records[0] as S3Record).s3.object;
  object.key = key;
  object.eTag = eTag;
  if (versionId !== undefined) object.versionId = versionId;
  return event;
}

interface Version {
  versionId: string;
  eTag: string;
  size: number;
}

/**
 * A bucket as S3 keeps it, behind the store adapter: versioned buckets keep every version, unversioned ones
 * only the newest. HeadObject honours VersionId and If-Match as S3 does.
 */
function bucketStore(versioned: boolean) {
  const versions = new Map<string, Version[]>();
  const items: ImageMetadataItem[] = [];
  const store: MetadataStore = {
    async headObject(bucket, key, selector: VersionSelector = {}): Promise<ObjectHead> {
      const history = versions.get(key) ?? [];
      let version = history.at(-1);
      if ("versionId" in selector) version = history.find((v) => v.versionId === selector.versionId);
      if (!version) throw new ObjectMissingError(bucket, key);
      if ("ifMatch" in selector && selector.ifMatch !== `"${version.eTag}"`)
        throw new ObjectSupersededError(bucket, key, selector.ifMatch);
      const head: ObjectHead = { eTag: `"${version.eTag}"`, contentLength: version.size };
      if (versioned) head.versionId = version.versionId;
      return head;
    },
    async putRecordIfAbsent(item) {
      items.push(item);
    },
  };
  /** Writes a new version and returns the event S3 would send for it. */
  const write = (key: string, eTag: string, size: number): unknown => {
    const history = versions.get(key) ?? [];
    const versionId = versioned ? `v${history.length + 1}-${eTag}` : "null";
    versions.set(key, versioned ? [...history, { versionId, eTag, size }] : [{ versionId, eTag, size }]);
    return eventFor(key, eTag, versioned ? versionId : undefined);
  };
  return { store, items, write };
}

const silent: IngestLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe("Function: versionSelector", () => {
  it("names the event's version id, else its ETag as If-Match, else nothing", () => {
    expect(versionSelector({ versionId: "3HL4k", eTag: "abc" })).toEqual({ versionId: "3HL4k" });
    expect(versionSelector({ eTag: "abc" })).toEqual({ ifMatch: '"abc"' });
    expect(versionSelector({ eTag: '"abc-2"' })).toEqual({ ifMatch: '"abc-2"' });
    expect(versionSelector({})).toEqual({});
  });

  it("reads versionId from the event, ignoring the `null` of unversioned buckets", () => {
    const versioned = parseS3Event(eventFor("k", "e", "abc")).records[0]?.record;
    const unversioned = parseS3Event(eventFor("k", "e", "null")).records[0]?.record;

    expect(versioned?.versionId).toBe("abc");
    expect(unversioned?.versionId).toBeUndefined();
  });
});

describe("Function: ingestEvent after a rapid overwrite", () => {
  it("records every version of a versioned bucket from the version its event names", async () => {
    // Prepare: three writes land before any event is processed.
    const { store, items, write } = bucketStore(true);
    const events = [write("k", "e1", 1), write("k", "e2", 22), write("k", "e3", 333)];
    // Act
    for (const event of events) await ingestEvent(event, { store, logger: silent, requestId: "r" });
    // Assess
    expect(items.map((i) => [i.etag, i.size, i.versionId])).toEqual([
      ["e1", 1, "v1-e1"],
      ["e2", 22, "v2-e2"],
      ["e3", 333, "v3-e3"],
    ]);
  });

  it("skips the overwritten versions of an unversioned bucket as superseded, never recording a mix", async () => {
    const { store, items, write } = bucketStore(false);
    const events = [write("k", "e1", 1), write("k", "e2", 22), write("k", "e3", 333)];

    const summaries = [];
    for (const event of events)
      summaries.push(await ingestEvent(event, { store, logger: silent, requestId: "r" }));

    expect(summaries.map((s) => s.outcomes[0]?.outcome)).toEqual([
      "skipped:superseded",
      "skipped:superseded",
      "written",
    ]);
    expect(summaries.every((s) => s.failed === 0)).toBe(true);
    expect(items.map((i) => [i.etag, i.size])).toEqual([["e3", 333]]);
  });
});

describe("Adapter: createAwsMetadataStore reads the exact version", () => {
  it("sends VersionId or IfMatch, and maps a 412 to ObjectSupersededError", async () => {
    const { createAwsMetadataStore } = await import("../../src/function/store.ts");
    const sent: Array<Record<string, unknown>> = [];
    const preconditionFailed = Object.assign(new Error("UnknownError"), {
      name: "412",
      $metadata: { httpStatusCode: 412 },
    });
    const s3 = {
      send: async (command: { input: Record<string, unknown> }) => {
        sent.push(command.input);
        if (command.input.IfMatch === '"stale"') throw preconditionFailed;
        return { ETag: '"e"', ContentLength: 1 };
      },
    } as unknown as import("@aws-sdk/client-s3").S3Client;
    const store = createAwsMetadataStore({ s3, dynamo: {} as never, tableName: "t" });

    await store.headObject("b", "k", { versionId: "v1" });
    await store.headObject("b", "k", { ifMatch: '"e"' });
    const stale = await store.headObject("b", "k", { ifMatch: '"stale"' }).catch((error: unknown) => error);

    expect(sent[0]).toMatchObject({ Bucket: "b", Key: "k", VersionId: "v1" });
    expect(sent[0]).not.toHaveProperty("IfMatch");
    expect(sent[1]).toMatchObject({ IfMatch: '"e"' });
    expect(stale).toBeInstanceOf(ObjectSupersededError);
  });
});
