import type { ImageMetadataItem } from "../function/record.ts";

export interface StoredObject {
  key: string;
  etag: string;
  size: number;
}

export interface ConsistencyReport {
  objects: number;
  records: number;
  /** Objects with no record for their current ETag. */
  missingRecords: StoredObject[];
  /** Records whose object no longer exists. */
  orphanRecords: Array<{ pk: string; sk: string; key: string }>;
  /** Records of earlier versions (ETags) of objects that still exist: history, not an error. */
  historicalRecords: number;
}

/**
 * Compares the objects under the upload prefix with the table: every object must have exactly one record for
 * its current ETag, and every record must point at an existing object. Pure, so verify and reconcile agree.
 */
export function compareObjectsAndRecords(
  objects: StoredObject[],
  records: ImageMetadataItem[],
  bucket: string,
): ConsistencyReport {
  const objectsByKey = new Map(objects.map((o) => [o.key, o]));
  const recordIds = new Set(records.filter((r) => r.bucket === bucket).map((r) => `${r.key}\u0000${r.etag}`));
  const missingRecords = objects.filter((o) => !recordIds.has(`${o.key}\u0000${o.etag}`));
  const orphanRecords: ConsistencyReport["orphanRecords"] = [];
  let historicalRecords = 0;
  for (const record of records) {
    if (record.bucket !== bucket) continue;
    const object = objectsByKey.get(record.key);
    if (!object) orphanRecords.push({ pk: record.PK, sk: record.SK, key: record.key });
    else if (object.etag !== record.etag) historicalRecords += 1;
  }
  return {
    objects: objects.length,
    records: records.length,
    missingRecords,
    orphanRecords,
    historicalRecords,
  };
}
