import { stripVTControlCharacters } from "node:util";
import pc from "picocolors";

/** How a command prints: human text on a TTY (colors unless NO_COLOR), or JSON on stdout with `--json`. */
export class Output {
  readonly json: boolean;
  readonly colors: ReturnType<typeof pc.createColors>;
  readonly interactive: boolean;

  constructor(options: { json?: boolean; stream?: NodeJS.WriteStream } = {}) {
    const stream = options.stream ?? process.stdout;
    this.json = Boolean(options.json);
    this.interactive = Boolean(stream.isTTY) && !this.json;
    const colorful = Boolean(stream.isTTY) && !("NO_COLOR" in process.env) && !this.json;
    this.colors = pc.createColors(colorful);
  }

  /** Human-readable line on stdout (nothing in JSON mode). */
  line(text = ""): void {
    if (!this.json) process.stdout.write(`${text}\n`);
  }

  /** One JSON document (or one JSON line of a stream) on stdout, in JSON mode only. */
  data(value: unknown): void {
    if (this.json) process.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** Diagnostics and warnings go to stderr in both modes, so stdout stays parseable. */
  warn(text: string): void {
    process.stderr.write(`${this.colors.yellow("warning:")} ${text}\n`);
  }

  info(text: string): void {
    if (!this.json) process.stderr.write(`${text}\n`);
  }

  ok(text: string): string {
    return this.colors.green(text);
  }

  bad(text: string): string {
    return this.colors.red(text);
  }

  dim(text: string): string {
    return this.colors.dim(text);
  }
}

/** Renders rows as an aligned text table. */
export function table(
  rows: string[][],
  visibleLength: (s: string) => number = (s) => stripVTControlCharacters(s).length,
): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell));
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) =>
          i === row.length - 1 ? cell : cell + " ".repeat((widths[i] ?? 0) - visibleLength(cell)),
        )
        .join("  "),
    )
    .join("\n");
}

/**
 * A name (file, key, header) safe to print: control characters (C0, DEL, C1) and lone surrogates become escapes
 * (`\n`, `\x1b`, `\u009b`), so a file name cannot move the cursor, recolour or retitle the terminal, or fake a line.
 */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is escaped here
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
    return named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
}
