/**
 * The paging logic of ListObjects / ListObjectsV2, pure over a sorted key list: S3 returns keys in UTF-8
 * binary order, folds keys that contain the delimiter after the prefix into CommonPrefixes (each counting
 * once toward max-keys), and resumes strictly after a marker (StartAfter, a continuation token, or Marker).
 */

/**
 * Compares strings in UTF-8 byte order, which differs from JavaScript's UTF-16 order for characters
 * above U+FFFF versus U+E000–U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    return utf8Rank(x) - utf8Rank(y);
  }
  return a.length - b.length;
}

/** Maps a UTF-16 code unit so that surrogates (astral characters) sort after U+E000–U+FFFF. */
function utf8Rank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

export interface ListPageInput {
  /** All keys of the bucket, sorted with compareUtf8. */
  keys: readonly string[];
  prefix: string;
  delimiter?: string;
  /** Only items strictly after this one are returned. */
  marker?: string;
  maxKeys: number;
}

export interface ListPage {
  keys: string[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned; the next page starts after it. */
  lastItem?: string;
}

/**
 * Computes one page of a listing.
 *
 * @example listPage({ keys: ["a/1", "a/2", "b"], prefix: "", delimiter: "/", maxKeys: 1000 })
 *   // { keys: ["b"], commonPrefixes: ["a/"], isTruncated: false, lastItem: "b" }
 */
export function listPage(input: ListPageInput): ListPage {
  const { keys, prefix, delimiter, marker, maxKeys } = input;
  const page: ListPage = { keys: [], commonPrefixes: [], isTruncated: false };
  // S3 answers max-keys=0 with an empty, untruncated page.
  if (maxKeys === 0) return page;
  const from = marker !== undefined && compareUtf8(marker, prefix) > 0 ? marker : prefix;
  let index = lowerBound(keys, from);
  let count = 0;
  let lastPrefix: string | undefined;
  for (; index < keys.length; index++) {
    const key = keys[index] as string;
    // Keys sharing the prefix are contiguous in sort order, and the scan started at the prefix.
    if (!key.startsWith(prefix)) break;
    if (marker !== undefined && compareUtf8(key, marker) <= 0) continue;
    let item = key;
    let isPrefix = false;
    if (delimiter) {
      const at = key.indexOf(delimiter, prefix.length);
      if (at !== -1) {
        item = key.slice(0, at + delimiter.length);
        isPrefix = true;
        if (item === lastPrefix || (marker !== undefined && compareUtf8(item, marker) <= 0)) {
          index = endOfPrefix(keys, item, index) - 1;
          continue;
        }
      }
    }
    if (count >= maxKeys) {
      page.isTruncated = true;
      break;
    }
    count++;
    page.lastItem = item;
    if (isPrefix) {
      lastPrefix = item;
      page.commonPrefixes.push(item);
      index = endOfPrefix(keys, item, index) - 1;
    } else {
      page.keys.push(key);
    }
  }
  return page;
}

export interface VersionsPageInput<V extends { versionId?: string }> {
  /** Keys with at least one version, sorted with compareUtf8. */
  keys: readonly string[];
  /** A key's versions, newest first. */
  versionsOf: (key: string) => readonly V[];
  prefix: string;
  delimiter?: string;
  keyMarker?: string;
  versionIdMarker?: string;
  maxKeys: number;
}

export interface VersionsPage<V> {
  versions: Array<{ key: string; entry: V; isLatest: boolean }>;
  commonPrefixes: string[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextVersionIdMarker?: string;
}

/**
 * One page of ListObjectVersions: keys in order, each key's versions newest first, delimiter folding as in
 * {@link listPage}. Resumes after `keyMarker` (all its versions) or, with `versionIdMarker`, after that
 * version of `keyMarker`; a truncated page names both markers of its last item.
 */
export function listVersionsPage<V extends { versionId?: string }>(
  input: VersionsPageInput<V>,
): VersionsPage<V> {
  const { keys, prefix, delimiter, keyMarker, versionIdMarker, maxKeys } = input;
  const page: VersionsPage<V> = { versions: [], commonPrefixes: [], isTruncated: false };
  if (maxKeys === 0) return page;
  const from = keyMarker !== undefined && compareUtf8(keyMarker, prefix) > 0 ? keyMarker : prefix;
  let count = 0;
  let lastPrefix: string | undefined;
  const full = (): boolean => {
    if (count < maxKeys) return false;
    page.isTruncated = true;
    return true;
  };
  for (let index = lowerBound(keys, from); index < keys.length; index++) {
    const key = keys[index] as string;
    if (!key.startsWith(prefix)) break;
    if (delimiter) {
      const at = key.indexOf(delimiter, prefix.length);
      if (at !== -1) {
        const commonPrefix = key.slice(0, at + delimiter.length);
        if (
          commonPrefix === lastPrefix ||
          (keyMarker !== undefined && compareUtf8(commonPrefix, keyMarker) <= 0)
        )
          continue;
        if (full()) break;
        count++;
        lastPrefix = commonPrefix;
        page.commonPrefixes.push(commonPrefix);
        page.nextKeyMarker = commonPrefix;
        page.nextVersionIdMarker = undefined;
        continue;
      }
    }
    const versions = input.versionsOf(key);
    let start = 0;
    if (key === keyMarker) {
      if (!versionIdMarker) continue;
      start = versions.findIndex((entry) => (entry.versionId ?? "null") === versionIdMarker) + 1;
      if (start === 0) continue;
    }
    for (let position = start; position < versions.length; position++) {
      if (full()) return page;
      const entry = versions[position] as V;
      count++;
      page.versions.push({ key, entry, isLatest: position === 0 });
      page.nextKeyMarker = key;
      page.nextVersionIdMarker = entry.versionId ?? "null";
    }
  }
  return page;
}

/** Index of the first key >= `value` in a compareUtf8-sorted list. */
function lowerBound(keys: readonly string[], value: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareUtf8(keys[middle] as string, value) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Index of the first key at or after `from` that does not start with `prefix` (those keys are contiguous). */
function endOfPrefix(keys: readonly string[], prefix: string, from: number): number {
  let low = from;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((keys[middle] as string).startsWith(prefix)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Continuation tokens are opaque to clients; ours carry the last returned item, base64-encoded. */
export function encodeContinuationToken(lastItem: string): string {
  return Buffer.from(`v1:${lastItem}`, "utf8").toString("base64");
}

/** Reads a continuation token; undefined when it is not one of ours. */
export function decodeContinuationToken(token: string): string | undefined {
  const text = Buffer.from(token, "base64").toString("utf8");
  return text.startsWith("v1:") ? text.slice(3) : undefined;
}
