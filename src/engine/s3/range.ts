/** A satisfiable byte range, inclusive at both ends as in `Content-Range`. */
interface ByteRange {
  start: number;
  end: number;
}

/** Result of reading a `Range` header against an object size. */
export type RangeResult = { kind: "none" } | { kind: "range"; range: ByteRange } | { kind: "unsatisfiable" };

/**
 * Interprets `Range: bytes=a-b | a- | -n` as S3 does: syntactically invalid or multi-range headers are
 * ignored (the whole object is returned), ranges past the end are clamped, and a start at or beyond the
 * size (or any range of an empty object, or `-0`) is unsatisfiable (416 InvalidRange).
 *
 * @example parseRange("bytes=0-9", 100) // { kind: "range", range: { start: 0, end: 9 } }
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: "none" };
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return { kind: "none" };
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return { kind: "none" };
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "range", range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Number(last);
  if (last !== "" && end < start) return { kind: "none" };
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "range", range: { start, end: Math.min(end, size - 1) } };
}
