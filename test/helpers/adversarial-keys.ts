/**
 * Adversarial S3 object keys (issue 8): shared by the keys e2e suite and the event-key unit test, so the keys
 * proven to survive the pipeline are also the ones the encoders are checked against.
 */

export const nfc = "Caf\u00e9 cr\u00e8me";
export const nfd = nfc.normalize("NFD");

/**
 * File names a POSIX file system can hold (no `/`, at most 255 bytes), each an S3 key's last segment. They go up
 * through `pipeline upload <dir>` and `aws s3 cp --recursive`. Names the CLI deliberately skips (leading `.`,
 * trailing `~`, `.tmp`/`.part`…) are in `sdkOnlyKeys` below.
 */
export const fileNames: string[] = [
  "space in name.jpg",
  "  leading spaces.jpg",
  "trailing space .jpg",
  "double  space.jpg",
  "ends with space ",
  "plus+sign.jpg",
  "plus + and space+.jpg",
  "percent%.jpg",
  "percent%25.jpg",
  "%%%.jpg",
  "literal%2B.jpg",
  "literal%20.jpg",
  "literal%2F.jpg",
  "broken%E0%A4%A.jpg",
  "percent-u%u0041.jpg",
  "mixed%2B+%20 .jpg",
  `${nfc}.jpg`,
  `${nfd}.jpg`,
  "\u00c5ngstr\u00f6m.jpg",
  "\u00c5ngstr\u00f6m.jpg".normalize("NFD"),
  "\u00fcmlaut-Stra\u00dfe.jpg",
  "\u20acuro.jpg",
  "\u732b\u306e\u5199\u771f.jpg",
  "\u0635\u0648\u0631\u0629.jpg",
  "\u{1F4F7} photo \u{1F408}\u200d\u2b1b.jpg",
  "flag \u{1F1EB}\u{1F1F7}.jpg",
  "astral \u{1D11E}.jpg",
  "Z\u0324\u0354\u0367\u0311\u0313a\u0308\u0356\u032d\u0308\u0307l\u036e\u0312\u036bo\u0328\u0317.jpg",
  "nbsp\u00a0name.jpg",
  "zero\u200bwidth.jpg",
  "bom\ufeffname.jpg",
  "division\u2215slash.jpg",
  "fullwidth\uff0fslash.jpg",
  "single'quote.jpg",
  'double"quote.jpg',
  `quote'"mix.jpg`,
  "back\\slash.jpg",
  "crlf-like \\r\\n.jpg",
  "hash#tag.jpg",
  "question?mark.jpg",
  "amp&ersand.jpg",
  "equals=sign.jpg",
  "semi;colon.jpg",
  "colon:name.jpg",
  "comma,name.jpg",
  "at@sign.jpg",
  "dollar$name.jpg",
  "star*name.jpg",
  "brackets[1].jpg",
  "braces{a,b}.jpg",
  "parens (1).jpg",
  "angle<tag>.jpg",
  "pipe|name.jpg",
  "caret^name.jpg",
  "backtick`name.jpg",
  "tilde~name.jpg",
  "exclaim!name.jpg",
  "tab\tname.jpg",
  "no-extension",
  "dots...jpg",
  "name.with.many.dots.jpg",
  "UPPER.JPG",
  "-leading-dash.jpg",
  "--double-dash.jpg",
  "ends-with-dot.",
  "html&amp;entity.jpg",
  "xml<![CDATA[x]]>.jpg",
  "url?a=1&b=2#frag.jpg",
  "path%2F..%2Fescape.jpg",
  "a b+c%d&e=f;g#h?i.jpg",
  `${"long-".repeat(48)}.jpg`,
  "percent%2525double.jpg",
  "plus%2Bencoded+both.jpg",
  "newline-like%0A.jpg",
  "cr-like%0D.jpg",
  "nul-like%00.jpg",
  "overlong%C0%AF.jpg",
  "latin1-\u00ff.jpg",
  "key with  %  spaces.jpg",
  "question-last?",
  "=starts-with-equals.jpg",
  "&starts-with-amp.jpg",
  "#starts-with-hash.jpg",
  "sub dir/inner+file.jpg",
  "sub dir/deeper %2B/\u00e9t\u00e9 \u732b.jpg",
];

/** Keys no single file name can carry (`/` segments, > 255 bytes) or that the CLI skips on purpose. */
export function sdkOnlyKeys(prefix: string): string[] {
  const longest = `${prefix}max-length-\u00e9-`;
  const pad = 1024 - Buffer.byteLength(longest) - Buffer.byteLength(".jpg");
  return [
    `${prefix}dotdot/../escape.jpg`,
    `${prefix}a/b/../../up-two.jpg`,
    `${prefix}../outside-prefix.jpg`,
    `${prefix}./dot-segment.jpg`,
    `${prefix}dot/./middle.jpg`,
    `${prefix}..`,
    `${prefix}.`,
    `${prefix}...`,
    `${prefix}double//slash.jpg`,
    `${prefix}folder/`,
    `${prefix}a/`,
    `${prefix}trailing-slash-like name /`,
    `${prefix}.hidden.jpg`,
    `${prefix}backup.jpg~`,
    `${prefix}partial.jpg.part`,
    `${prefix}${"x".repeat(300)}.jpg`,
    `${longest}${"z".repeat(pad)}.jpg`,
  ];
}

/** A few of the hardest keys, each through `aws s3api put-object --key` (one process per key: ~1.5 s each). */
export function awsApiKeys(prefix: string): string[] {
  const all = sdkOnlyKeys(prefix);
  return [
    `${prefix}s3api space+plus%2B.jpg`,
    `${prefix}s3api ${nfd}.jpg`,
    `${prefix}s3api \u{1F4F7}#?&=;'"\\.jpg`,
    ...all.filter((key) => /\/(dotdot\/\.\.|\.\/dot|folder\/$|max-length)/.test(key)),
  ];
}

/** Every adversarial key under `prefix`: file names, SDK-only keys and the s3api ones. */
export function allAdversarialKeys(prefix: string): string[] {
  return [
    ...new Set([...fileNames.map((name) => prefix + name), ...sdkOnlyKeys(prefix), ...awsApiKeys(prefix)]),
  ];
}
