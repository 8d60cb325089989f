import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";

/**
 * Whole-file replacement for the journals (Logs, SQS): a crash leaves either the old file or the new one, never
 * a torn one.
 */

/** Replaces a JSON-lines file atomically: temporary file, fsync, rename. Lines are written 1 MiB at a time. */
export function writeJsonLinesAtomic(path: string, lines: Iterable<unknown>): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, "w");
  try {
    let buffer = "";
    for (const line of lines) {
      buffer += `${JSON.stringify(line)}\n`;
      if (buffer.length > 1 << 20) {
        writeSync(fd, buffer);
        buffer = "";
      }
    }
    if (buffer) writeSync(fd, buffer);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}
