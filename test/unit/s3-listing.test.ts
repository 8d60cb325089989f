import { describe, expect, it } from "vitest";
import {
  compareUtf8,
  decodeContinuationToken,
  encodeContinuationToken,
  listPage,
} from "../../src/engine/s3/listing.ts";

const keys = [
  "a.txt",
  "photos/2024/a.jpg",
  "photos/2024/b.jpg",
  "photos/2025/c.jpg",
  "photos/d.jpg",
  "z.txt",
].sort(compareUtf8);

/** Follows pages the way a client does, collecting every key and common prefix. */
function collect(input: { prefix?: string; delimiter?: string; maxKeys: number }) {
  const items: string[] = [];
  let marker: string | undefined;
  let pages = 0;
  for (;;) {
    const page = listPage({
      keys,
      prefix: input.prefix ?? "",
      delimiter: input.delimiter,
      maxKeys: input.maxKeys,
      marker,
    });
    items.push(...page.keys, ...page.commonPrefixes);
    pages++;
    if (!page.isTruncated) break;
    marker = decodeContinuationToken(encodeContinuationToken(page.lastItem ?? ""));
    if (pages > 20) throw new Error("paging does not terminate");
  }
  return { items, pages };
}

describe("Function: listPage", () => {
  it("lists everything in order without a delimiter", () => {
    const page = listPage({ keys, prefix: "", maxKeys: 1000 });
    expect(page).toEqual({ keys, commonPrefixes: [], isTruncated: false, lastItem: "z.txt" });
  });

  it("folds keys into common prefixes after the prefix", () => {
    const top = listPage({ keys, prefix: "", delimiter: "/", maxKeys: 1000 });
    const photos = listPage({ keys, prefix: "photos/", delimiter: "/", maxKeys: 1000 });

    expect(top.keys).toEqual(["a.txt", "z.txt"]);
    expect(top.commonPrefixes).toEqual(["photos/"]);
    expect(photos.keys).toEqual(["photos/d.jpg"]);
    expect(photos.commonPrefixes).toEqual(["photos/2024/", "photos/2025/"]);
  });

  it("counts a common prefix once toward max-keys and truncates only when more items exist", () => {
    const first = listPage({ keys, prefix: "", delimiter: "/", maxKeys: 2 });
    const exact = listPage({ keys, prefix: "", delimiter: "/", maxKeys: 3 });

    expect(first).toMatchObject({
      keys: ["a.txt"],
      commonPrefixes: ["photos/"],
      isTruncated: true,
      lastItem: "photos/",
    });
    expect(exact.isTruncated).toBe(false);
  });

  it.each([1, 2, 3, 5, 1000])("pages through all keys with max-keys %i", (maxKeys) => {
    expect(collect({ maxKeys }).items).toEqual(keys);
  });

  it.each([1, 2])("pages through common prefixes without repeating them (max-keys %i)", (maxKeys) => {
    const { items } = collect({ prefix: "photos/", delimiter: "/", maxKeys });
    expect(items.sort()).toEqual(["photos/2024/", "photos/2025/", "photos/d.jpg"]);
  });

  it("starts strictly after the marker, skipping a common prefix that equals it", () => {
    expect(listPage({ keys, prefix: "", maxKeys: 10, marker: "photos/2025/c.jpg" }).keys).toEqual([
      "photos/d.jpg",
      "z.txt",
    ]);
    expect(listPage({ keys, prefix: "", delimiter: "/", maxKeys: 10, marker: "photos/" })).toMatchObject({
      keys: ["z.txt"],
      commonPrefixes: [],
    });
  });

  it("returns nothing for max-keys 0 and for a prefix without keys", () => {
    // S3 answers max-keys=0 with an empty page that is not truncated.
    expect(listPage({ keys, prefix: "", maxKeys: 0 })).toMatchObject({ keys: [], isTruncated: false });
    expect(listPage({ keys, prefix: "nothing/", maxKeys: 10 })).toEqual({
      keys: [],
      commonPrefixes: [],
      isTruncated: false,
    });
  });

  it("uses multi-character delimiters", () => {
    const page = listPage({ keys: ["a--b", "a--c", "b"], prefix: "", delimiter: "--", maxKeys: 10 });
    expect(page).toMatchObject({ keys: ["b"], commonPrefixes: ["a--"] });
  });
});

describe("Function: compareUtf8", () => {
  it("orders astral characters after U+FFFD, as UTF-8 bytes do", () => {
    const sorted = ["😀", "\uFFFD", "a", "é"].sort(compareUtf8);
    expect(sorted).toEqual(["a", "é", "\uFFFD", "😀"]);
    expect(Buffer.compare(Buffer.from("\uFFFD"), Buffer.from("😀"))).toBe(-1);
  });

  it("orders prefixes first", () => {
    expect(compareUtf8("abc", "abcd")).toBeLessThan(0);
    expect(compareUtf8("abc", "abc")).toBe(0);
  });
});

describe("Function: decodeContinuationToken", () => {
  it("round-trips tokens and rejects foreign ones", () => {
    expect(decodeContinuationToken(encodeContinuationToken("photos/日本/"))).toBe("photos/日本/");
    expect(decodeContinuationToken("bm90LW91cnM=")).toBeUndefined();
  });
});
