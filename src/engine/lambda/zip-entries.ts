import { promisify } from "node:util";
import { inflateRaw } from "node:zlib";
import { CodePackageError } from "./errors.ts";

/**
 * Reads a zip's entries from its central directory and inflates them off the event loop (zlib's asynchronous
 * inflate runs on libuv's thread pool), each bounded by the size the zip declares for it: an entry that declares
 * 10 bytes and would inflate to 256 MB stops at 11 bytes and the zip is refused. With the declared sizes summed
 * and checked first, the bytes actually inflated can never pass the limit, and a small zip of highly compressible
 * data costs neither memory nor seconds of a blocked engine.
 */

const inflate = promisify(inflateRaw) as (
  data: Uint8Array,
  options: { maxOutputLength: number },
) => Promise<Buffer>;

export interface ZipEntry {
  name: string;
  data: Uint8Array;
}

const unreadable = (cause?: unknown) =>
  new CodePackageError("Could not unzip uploaded file. Please check your file, then try to upload again.", {
    cause,
  });

interface EntryHeader {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/** Inflates every entry; throws {@link CodePackageError} (AWS's wording) for a bad zip or one over `maxBytes`. */
export async function readZipEntries(zip: Buffer, maxBytes: number): Promise<ZipEntry[]> {
  const headers = centralDirectory(zip);
  const declared = headers.reduce((sum, header) => sum + header.size, 0);
  if (declared > maxBytes) throw new CodePackageError(`Unzipped size must be smaller than ${maxBytes} bytes`);
  const entries: ZipEntry[] = [];
  for (const header of headers) entries.push({ name: header.name, data: await entryData(zip, header) });
  return entries;
}

async function entryData(zip: Buffer, header: EntryHeader): Promise<Uint8Array> {
  const offset = header.localOffset;
  if (offset + 30 > zip.length || zip.readUInt32LE(offset) !== 0x04034b50) throw unreadable();
  const start = offset + 30 + zip.readUInt16LE(offset + 26) + zip.readUInt16LE(offset + 28);
  const end = start + header.compressedSize;
  if (end > zip.length) throw unreadable();
  const compressed = zip.subarray(start, end);
  let data: Uint8Array;
  if (header.method === 0) data = compressed;
  else if (header.method === 8) {
    try {
      // One byte over the declared size is enough to know the entry lies about it.
      data = await inflate(compressed, { maxOutputLength: header.size + 1 });
    } catch (cause) {
      throw unreadable(cause);
    }
  } else throw new CodePackageError(`unsupported zip compression method ${header.method} in ${header.name}`);
  if (data.length !== header.size) throw unreadable();
  return data;
}

/** The central directory's entries (zip64 included); throws for anything that is not a well-formed zip. */
function centralDirectory(zip: Buffer): EntryHeader[] {
  let end = -1;
  for (let at = zip.length - 22; at >= 0 && zip.length - at <= 65_557; at--) {
    if (zip.readUInt32LE(at) === 0x06054b50) {
      end = at;
      break;
    }
  }
  if (end === -1) throw unreadable();
  let count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  if (end >= 20 && zip.readUInt32LE(end - 20) === 0x07064b50) {
    const zip64End = Number(zip.readBigUInt64LE(end - 12));
    if (zip64End + 56 > zip.length || zip.readUInt32LE(zip64End) !== 0x06064b50) throw unreadable();
    count = Number(zip.readBigUInt64LE(zip64End + 32));
    offset = Number(zip.readBigUInt64LE(zip64End + 48));
  }
  const headers: EntryHeader[] = [];
  for (let i = 0; i < count; i++) {
    if (offset + 46 > zip.length || zip.readUInt32LE(offset) !== 0x02014b50) throw unreadable();
    const flags = zip.readUInt16LE(offset + 8);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const nameEnd = offset + 46 + nameLength;
    if (nameEnd + extraLength > zip.length) throw unreadable();
    const header: EntryHeader = {
      name: zip.toString(flags & 0x800 ? "utf8" : "latin1", offset + 46, nameEnd),
      method: zip.readUInt16LE(offset + 10),
      compressedSize: zip.readUInt32LE(offset + 20),
      size: zip.readUInt32LE(offset + 24),
      localOffset: zip.readUInt32LE(offset + 42),
    };
    readZip64Sizes(zip.subarray(nameEnd, nameEnd + extraLength), header);
    headers.push(header);
    offset = nameEnd + extraLength + commentLength;
  }
  return headers;
}

/** Zip64's extra field (0x0001) holds, in order, whichever of size, compressed size and offset are 0xFFFFFFFF. */
function readZip64Sizes(extra: Buffer, header: EntryHeader): void {
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(at);
    const length = extra.readUInt16LE(at + 2);
    if (id === 0x0001) {
      let field = at + 4;
      const next = () => {
        if (field + 8 > at + 4 + length || field + 8 > extra.length) throw unreadable();
        const value = Number(extra.readBigUInt64LE(field));
        field += 8;
        return value;
      };
      if (header.size === 0xffffffff) header.size = next();
      if (header.compressedSize === 0xffffffff) header.compressedSize = next();
      if (header.localOffset === 0xffffffff) header.localOffset = next();
      return;
    }
    at += 4 + length;
  }
}
