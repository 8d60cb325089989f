import { randomBytes } from "node:crypto";
import { type FileHandle, mkdir, mkdtemp, open, readdir, rm, stat, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { DirectorySyncer } from "../../store/fsync.ts";
import type { BlobRef, BlobSegment } from "./records.ts";

/**
 * Where object bytes live. Segments are immutable and owned by exactly one object or part, so no reference
 * counting is needed; a completed multipart object simply takes over its parts' segments.
 */
export interface BlobStore {
  /** Stores bytes; resolves once they are durable. */
  write(data: Buffer): Promise<BlobSegment>;
  /**
   * Stores bytes as they arrive (an upload streaming in), without holding them all in memory; resolves once they
   * are durable. If `data` fails, nothing is kept and the error is rethrown.
   */
  writeStream(data: AsyncIterable<Buffer>): Promise<BlobSegment>;
  /** Bytes `start..end` (inclusive) of a blob, as a Buffer (small or in memory) or a stream. */
  read(blob: BlobRef, start: number, end: number): Promise<Buffer | Readable>;
  /** Bytes `start..end` (inclusive) of a blob, always buffered. */
  readAll(blob: BlobRef, start: number, end: number): Promise<Buffer>;
  /** Releases segments no longer referenced. */
  release(blob: BlobRef): void;
  /** Deletes stored segments that no record references (after a crash between a write and its journal record). */
  collectGarbage(referenced: ReadonlySet<string>): Promise<number>;
  close(): Promise<void>;
}

/** Segments of `blob` that overlap `start..end`, with the byte range to take from each. */
function* overlapping(
  blob: BlobRef,
  start: number,
  end: number,
): Generator<{ id: string; from: number; to: number }> {
  let offset = 0;
  for (const segment of blob) {
    const segmentEnd = offset + segment.size - 1;
    if (segment.size > 0 && segmentEnd >= start && offset <= end) {
      yield {
        id: segment.id,
        from: Math.max(start, offset) - offset,
        to: Math.min(end, segmentEnd) - offset,
      };
    }
    offset += segment.size;
    if (offset > end) break;
  }
}

const newId = () => randomBytes(16).toString("hex");

/** Streamed uploads larger than this go to a temporary file even in memory mode, so memory stays bounded. */
const SPILL_THRESHOLD = 8 * 1024 * 1024;

/**
 * Keeps bytes in process memory (the default, fast mode). Uploads that stream in beyond {@link SPILL_THRESHOLD}
 * are kept in a private temporary directory instead (removed on close), so a large object never sits in memory.
 */
export class MemoryBlobStore implements BlobStore {
  readonly #segments = new Map<string, Buffer>();
  /** Files of large streamed uploads, opened on the first one. */
  #spill: Promise<{ store: FileBlobStore; directory: string }> | undefined;
  readonly #spilled = new Set<string>();

  async write(data: Buffer): Promise<BlobSegment> {
    const id = newId();
    // A small body may be a view into a much larger network buffer; copy so we do not pin that buffer.
    this.#segments.set(id, data.buffer.byteLength > data.length * 2 ? Buffer.from(data) : data);
    return { id, size: data.length };
  }

  async writeStream(data: AsyncIterable<Buffer>): Promise<BlobSegment> {
    const iterator = data[Symbol.asyncIterator]();
    const head: Buffer[] = [];
    let size = 0;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return this.write(Buffer.concat(head, size));
      head.push(Buffer.from(next.value));
      size += next.value.length;
      if (size > SPILL_THRESHOLD) break;
    }
    const { store } = await this.#spillStore();
    async function* rest(): AsyncGenerator<Buffer> {
      yield* head.splice(0);
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    }
    const segment = await store.writeStream(rest());
    this.#spilled.add(segment.id);
    return segment;
  }

  #spillStore(): Promise<{ store: FileBlobStore; directory: string }> {
    this.#spill ??= (async () => {
      const directory = await mkdtemp(join(tmpdir(), "pipeline-s3-"));
      return { store: await FileBlobStore.open(directory, { durable: false }), directory };
    })();
    return this.#spill;
  }

  async read(blob: BlobRef, start: number, end: number): Promise<Buffer | Readable> {
    if (!blob.some((segment) => this.#spilled.has(segment.id))) return this.readAll(blob, start, end);
    const { store } = await this.#spillStore();
    const parts = [...overlapping(blob, start, end)];
    const segments = this.#segments;
    const spilled = this.#spilled;
    // Spilled segments stream from their file; the rest come from memory, in order.
    const sources = await allOrReleased(
      parts.map(async ({ id, from, to }) =>
        spilled.has(id) ? store.read([{ id, size: to + 1 }], from, to) : segmentSlice(segments, id, from, to),
      ),
      destroySources,
    );
    async function* stream(): AsyncGenerator<Buffer> {
      for (const source of sources) {
        if (Buffer.isBuffer(source)) yield source;
        else for await (const chunk of source) yield chunk as Buffer;
      }
    }
    const readable = Readable.from(stream(), { objectMode: false });
    // Destroyed early, the generator never reaches the spilled files after the one it reads: each is closed here.
    readable.once("close", () => destroySources(sources));
    return readable;
  }

  async readAll(blob: BlobRef, start: number, end: number): Promise<Buffer> {
    const pieces: Buffer[] = [];
    for (const { id, from, to } of overlapping(blob, start, end)) {
      if (this.#spilled.has(id)) {
        const { store } = await this.#spillStore();
        pieces.push(await store.readAll([{ id, size: to + 1 }], from, to));
      } else pieces.push(segmentSlice(this.#segments, id, from, to));
    }
    return pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces);
  }

  release(blob: BlobRef): void {
    for (const segment of blob) {
      this.#segments.delete(segment.id);
      if (this.#spilled.delete(segment.id)) void this.#spill?.then(({ store }) => store.release([segment]));
    }
  }

  async collectGarbage(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    this.#segments.clear();
    this.#spilled.clear();
    const spill = await this.#spill;
    if (spill) {
      await spill.store.close();
      await rm(spill.directory, { recursive: true, force: true });
    }
  }
}

/**
 * The values of `pending`, all of them, or `pending`'s first failure once `release` has let go of the values that did
 * come (an open file, a stream on one): a failed read leaves nothing open for the garbage collector to close.
 */
async function allOrReleased<T>(pending: Array<Promise<T>>, release: (values: T[]) => unknown): Promise<T[]> {
  const settled = await Promise.allSettled(pending);
  const values = settled.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  const failed = settled.find((result) => result.status === "rejected");
  if (failed === undefined) return values;
  await release(values);
  throw failed.reason;
}

/** Destroys the streams among a read's sources (each closing the file it reads); the Buffers need nothing. */
function destroySources(sources: Array<Buffer | Readable>): void {
  for (const source of sources) if (!Buffer.isBuffer(source)) source.destroy();
}

function segmentSlice(segments: Map<string, Buffer>, id: string, from: number, to: number): Buffer {
  const data = segments.get(id);
  if (!data) throw new Error(`blob segment ${id} is missing`);
  return data.subarray(from, to + 1);
}

/** Reads below this size are buffered; larger ones stream from disk. */
const STREAM_THRESHOLD = 8 * 1024 * 1024;
/** Released segments are unlinked after this delay, so a GET that already resolved them can still open them. */
const RELEASE_DELAY_MS = 5_000;

/**
 * Keeps each segment in its own file named by a random id (never by bucket or key, so no key can steer a
 * path). A write is durable when resolved: file fsynced and its directory entry fsynced.
 */
export class FileBlobStore implements BlobStore {
  readonly #directory: string;
  readonly #syncer: DirectorySyncer;
  readonly #pendingRelease = new Map<string, NodeJS.Timeout>();
  /** False for scratch files (memory mode's spilled uploads): no fsync, nothing survives the process anyway. */
  readonly #durable: boolean;

  private constructor(directory: string, durable: boolean) {
    this.#directory = directory;
    this.#syncer = new DirectorySyncer(directory);
    this.#durable = durable;
  }

  static async open(directory: string, options: { durable?: boolean } = {}): Promise<FileBlobStore> {
    await mkdir(directory, { recursive: true });
    return new FileBlobStore(directory, options.durable ?? true);
  }

  async writeStream(data: AsyncIterable<Buffer>): Promise<BlobSegment> {
    const id = newId();
    const path = this.#path(id);
    const handle = await open(path, "wx");
    let size = 0;
    try {
      for await (const chunk of data) {
        let written = 0;
        while (written < chunk.length) {
          const { bytesWritten } = await handle.write(chunk, written, chunk.length - written);
          written += bytesWritten;
        }
        size += chunk.length;
      }
      if (this.#durable) await handle.datasync();
    } catch (error) {
      await handle.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
      throw error;
    }
    await handle.close();
    if (this.#durable) await this.#syncer.sync();
    return { id, size };
  }

  #path(id: string): string {
    if (!/^[0-9a-f]{32}$/.test(id)) throw new Error(`invalid blob id '${id}'`);
    return join(this.#directory, id);
  }

  async write(data: Buffer): Promise<BlobSegment> {
    const id = newId();
    const handle = await open(this.#path(id), "wx");
    try {
      await handle.writeFile(data);
      if (this.#durable) await handle.datasync();
    } finally {
      await handle.close();
    }
    if (this.#durable) await this.#syncer.sync();
    return { id, size: data.length };
  }

  async read(blob: BlobRef, start: number, end: number): Promise<Buffer | Readable> {
    if (end - start + 1 <= STREAM_THRESHOLD) return this.readAll(blob, start, end);
    const parts = [...overlapping(blob, start, end)];
    // Open every segment now: a concurrent overwrite may release them while the response is still streaming.
    const handles = await allOrReleased(
      parts.map((part) => open(this.#path(part.id), "r")),
      (opened) => Promise.all(opened.map((handle) => handle.close())),
    );
    async function* stream(): AsyncGenerator<Buffer> {
      for (const [index, { from, to }] of parts.entries()) {
        const handle = handles[index] as FileHandle;
        for await (const chunk of handle.createReadStream({ start: from, end: to, autoClose: false })) {
          yield chunk as Buffer;
        }
      }
    }
    const readable = Readable.from(stream(), { objectMode: false });
    // The handles close with the stream, however it ends (read to the end, failed or destroyed), and only there: a
    // `finally` in the generator would not run for a stream destroyed before its first read.
    readable.once("close", () => {
      for (const handle of handles) handle.close().catch(() => undefined);
    });
    return readable;
  }

  async readAll(blob: BlobRef, start: number, end: number): Promise<Buffer> {
    const pieces: Buffer[] = [];
    for (const { id, from, to } of overlapping(blob, start, end)) {
      const whole = to - from + 1;
      const handle = await open(this.#path(id), "r");
      try {
        const buffer = Buffer.allocUnsafe(whole);
        let read = 0;
        while (read < whole) {
          const { bytesRead } = await handle.read(buffer, read, whole - read, from + read);
          if (bytesRead === 0) throw new Error(`blob segment ${id} is shorter than recorded`);
          read += bytesRead;
        }
        pieces.push(buffer);
      } finally {
        await handle.close();
      }
    }
    return pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces);
  }

  release(blob: BlobRef): void {
    for (const { id } of blob) {
      const timer = setTimeout(() => {
        this.#pendingRelease.delete(id);
        unlink(this.#path(id)).catch(() => undefined);
      }, RELEASE_DELAY_MS);
      timer.unref();
      this.#pendingRelease.set(id, timer);
    }
  }

  /** The segments whose file is missing or shorter or longer than recorded (checked at start). */
  async check(segments: Iterable<BlobSegment>): Promise<Array<{ path: string; problem: string }>> {
    const bad: Array<{ path: string; problem: string }> = [];
    for (const segment of segments) {
      const path = this.#path(segment.id);
      try {
        const { size } = await stat(path);
        if (size !== segment.size) bad.push({ path, problem: `${size} bytes, ${segment.size} recorded` });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        bad.push({ path, problem: "missing" });
      }
    }
    return bad;
  }

  async collectGarbage(referenced: ReadonlySet<string>): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.#directory)) {
      if (referenced.has(name)) continue;
      await unlink(join(this.#directory, name)).catch(() => undefined);
      removed++;
    }
    return removed;
  }

  async close(): Promise<void> {
    const pending = [...this.#pendingRelease.entries()];
    this.#pendingRelease.clear();
    for (const [id, timer] of pending) {
      clearTimeout(timer);
      await unlink(this.#path(id)).catch(() => undefined);
    }
  }
}
