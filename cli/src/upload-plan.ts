import { basename, relative, sep } from "node:path";
import mime from "mime-types";

/** One file to upload, and where it goes. */
export interface PlannedUpload {
  path: string;
  key: string;
  contentType: string;
  size: number;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

/** A file found from the command line: its path, the root it was found under (for directories), its size. */
export interface FoundFile {
  path: string;
  root?: string;
  size: number;
}

/** Normalizes a prefix: no leading slash, exactly one trailing slash (or empty for the bucket root). */
function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, "").replace(/\/+$/, "");
  return trimmed === "" ? "" : `${trimmed}/`;
}

/** Temp and partial files that editors, browsers and copy tools leave while writing. */
export function isTemporaryFile(path: string): boolean {
  const name = basename(path);
  return (
    name.startsWith(".") ||
    name.startsWith("~$") ||
    name.endsWith("~") ||
    /\.(tmp|temp|part|partial|crdownload|download|swp|swx)$/i.test(name)
  );
}

/**
 * Decides key and content type for each file, and which to skip: non-images unless `any`, temp files always.
 * Files under a directory keep their relative path below the prefix.
 */
export function planUploads(
  files: FoundFile[],
  options: { prefix: string; any?: boolean },
): { uploads: PlannedUpload[]; skipped: SkippedFile[] } {
  const prefix = normalizePrefix(options.prefix);
  const uploads: PlannedUpload[] = [];
  const skipped: SkippedFile[] = [];
  const seenKeys = new Set<string>();
  for (const file of files) {
    if (isTemporaryFile(file.path)) {
      skipped.push({ path: file.path, reason: "temporary or hidden file" });
      continue;
    }
    const contentType = mime.lookup(file.path) || "application/octet-stream";
    if (!options.any && !contentType.startsWith("image/")) {
      skipped.push({
        path: file.path,
        reason: `not an image (${contentType}); use --any to upload it anyway`,
      });
      continue;
    }
    const name = file.root ? relative(file.root, file.path).split(sep).join("/") : basename(file.path);
    const key = `${prefix}${name}`;
    if (seenKeys.has(key)) {
      skipped.push({ path: file.path, reason: `another file already maps to ${key}` });
      continue;
    }
    seenKeys.add(key);
    uploads.push({ path: file.path, key, contentType, size: file.size });
  }
  return { uploads, skipped };
}
