/** CloudWatch Logs' event size limit: a longer output line is cut here, as AWS cuts it. */
const MAX_LOG_LINE_BYTES = 256 * 1024;

type Stream = "stdout" | "stderr";

/**
 * A runtime's raw stdout/stderr text as log lines: split into lines, one log event each, kept as printed (JSON
 * loggers). A line longer than a log event may be is emitted cut at {@link MAX_LOG_LINE_BYTES} and the rest of it
 * dropped, so an unterminated line never grows without bound.
 */
export class OutputLines {
  readonly #partial = { stdout: "", stderr: "" };
  /** Whether the rest of the current line of a stream is being dropped (it was cut at the log-event limit). */
  readonly #cutting = { stdout: false, stderr: false };
  readonly #emit: (line: string) => void;

  constructor(emit: (line: string) => void) {
    this.#emit = (line) => {
      const text = line.replace(/\r$/, "");
      if (text !== "") emit(text);
    };
  }

  push(stream: Stream, text: string): void {
    const lines = text.split("\n");
    const last = lines.pop() ?? "";
    for (const line of lines) {
      if (this.#cutting[stream]) this.#cutting[stream] = false;
      else this.#emit(this.#partial[stream] + line);
      this.#partial[stream] = "";
    }
    if (this.#cutting[stream]) return;
    const rest = this.#partial[stream] + last;
    if (rest.length > MAX_LOG_LINE_BYTES || Buffer.byteLength(rest) > MAX_LOG_LINE_BYTES) {
      this.#emit(cutToBytes(rest, MAX_LOG_LINE_BYTES));
      this.#partial[stream] = "";
      this.#cutting[stream] = true;
    } else this.#partial[stream] = rest;
  }

  /** The unterminated rest of each stream (at the end of an invocation), as lines; the state starts over. */
  flush(): string[] {
    const rests: string[] = [];
    for (const stream of ["stdout", "stderr"] as const) {
      const rest = this.#partial[stream];
      this.#partial[stream] = "";
      this.#cutting[stream] = false;
      if (rest.trim() !== "") rests.push(rest);
    }
    return rests;
  }
}

/** The longest prefix of `text` that fits in `bytes` bytes of UTF-8. */
function cutToBytes(text: string, bytes: number): string {
  const encoded = Buffer.from(text.slice(0, bytes), "utf8");
  return encoded.length <= bytes ? encoded.toString("utf8") : encoded.subarray(0, bytes).toString("utf8");
}
