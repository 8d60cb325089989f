import type { ImageMetadataItem } from "../function/record.ts";

export interface StoredObject {
  key: string;
  etag: string;
  size: number;
  /** The version, on a versioned bucket (absent or `null` otherwise). */
  versionId?: string;
  /** Whether this is the key's current version (true when versions are not listed). */
  isLatest?: boolean;
}

export interface ConsistencyReport {
  /** Keys with a current version. */
  objects: number;
  /** Object versions compared (equal to `objects` on an unversioned bucket). */
  versions: number;
  records: number;
  /** Versions with no record for their ETag (one record per content version). */
  missingRecords: StoredObject[];
  /** Records whose object no longer exists. */
  orphanRecords: Array<{ pk: string; sk: string; key: string }>;
  /** Records of earlier versions (ETags) of objects that still exist: history, not an error. */
  historicalRecords: number;
}

/**
 * Compares the object versions under the upload prefix with the table: every version (every current object,
 * on an unversioned bucket) must have a record for its ETag, and every record must point at a key that still
 * has versions. Records of ETags no version holds any more (overwritten on an unversioned bucket) are history,
 * not an error. Pure, so verify and reconcile agree.
 */
export function compareObjectsAndRecords(
  versions: StoredObject[],
  records: ImageMetadataItem[],
  bucket: string,
): ConsistencyReport {
  const versionsByKey = new Map<string, StoredObject[]>();
  for (const version of versions)
    versionsByKey.set(version.key, [...(versionsByKey.get(version.key) ?? []), version]);
  const recordIds = new Set(records.filter((r) => r.bucket === bucket).map((r) => `${r.key}\u0000${r.etag}`));
  const missingRecords = versions.filter((o) => !recordIds.has(`${o.key}\u0000${o.etag}`));
  const orphanRecords: ConsistencyReport["orphanRecords"] = [];
  let historicalRecords = 0;
  for (const record of records) {
    if (record.bucket !== bucket) continue;
    const held = versionsByKey.get(record.key);
    if (!held) orphanRecords.push({ pk: record.PK, sk: record.SK, key: record.key });
    else if (!held.some((version) => version.etag === record.etag && version.isLatest !== false))
      historicalRecords += 1;
  }
  return {
    objects: versions.filter((version) => version.isLatest !== false).length,
    versions: versions.length,
    records: records.length,
    missingRecords,
    orphanRecords,
    historicalRecords,
  };
}
