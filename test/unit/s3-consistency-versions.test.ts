import { describe, expect, it } from "vitest";
import type { ImageMetadataItem } from "../../src/function/record.ts";
import { compareObjectsAndRecords, type StoredObject } from "../../src/pipeline/consistency.ts";

const record = (key: string, etag: string, versionId?: string) =>
  ({
    PK: `IMG#b#${key}`,
    SK: `META#${etag}`,
    bucket: "b",
    key,
    etag,
    ...(versionId ? { versionId } : {}),
  }) as ImageMetadataItem;

describe("Function: compareObjectsAndRecords per version", () => {
  it("wants a record for every version of a versioned key, not only the current one", () => {
    const versions: StoredObject[] = [
      { key: "k", etag: "e3", size: 3, versionId: "v3", isLatest: true },
      { key: "k", etag: "e2", size: 2, versionId: "v2", isLatest: false },
      { key: "k", etag: "e1", size: 1, versionId: "v1", isLatest: false },
    ];

    const complete = compareObjectsAndRecords(
      versions,
      [record("k", "e1"), record("k", "e2"), record("k", "e3")],
      "b",
    );
    const gap = compareObjectsAndRecords(versions, [record("k", "e1"), record("k", "e3")], "b");

    expect(complete).toMatchObject({
      objects: 1,
      versions: 3,
      records: 3,
      missingRecords: [],
      orphanRecords: [],
    });
    expect(gap.missingRecords.map((v) => v.versionId)).toEqual(["v2"]);
  });

  it("counts records of overwritten unversioned objects as history and records of deleted keys as orphans", () => {
    const versions: StoredObject[] = [{ key: "k", etag: "new", size: 1 }];

    const report = compareObjectsAndRecords(
      versions,
      [record("k", "old"), record("k", "new"), record("gone", "x")],
      "b",
    );

    expect(report).toMatchObject({ objects: 1, versions: 1, historicalRecords: 1, missingRecords: [] });
    expect(report.orphanRecords.map((o) => o.key)).toEqual(["gone"]);
  });
});
