import { readFile } from "node:fs/promises";
import { text as readStream } from "node:stream/consumers";
import { InvokeCommand, LogType } from "@aws-sdk/client-lambda";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { isNotFoundError } from "../../../src/aws/errors.ts";
import { stripETagQuotes } from "../../../src/function/record.ts";
import { syntheticObjectCreatedEvent } from "../../../src/pipeline/synthetic-event.ts";
import { CheckFailedError, UsageError } from "../errors.ts";
import { confirmAwsWrite } from "../guard.ts";
import { Output, printable } from "../output.ts";
import { requireStack } from "../stack-presence.ts";
import { type GlobalOptions, resolveTarget, type Target } from "../target.ts";

export interface InvokeOptions extends GlobalOptions {
  key?: string;
  event?: string;
  printEvent?: boolean;
}

/** Reads an event document from a file or stdin; a usage error names what is wrong with it. */
async function readEvent(source: string): Promise<unknown> {
  let text: string;
  try {
    text = source === "-" ? await readStream(process.stdin) : await readFile(source, "utf8");
  } catch (cause) {
    throw new UsageError(
      `cannot read --event ${printable(source)}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`,
      { cause },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new UsageError(
      `${source === "-" ? "stdin" : printable(source)} is not JSON: ${(cause as Error).message}`,
      { cause },
    );
  }
}

/**
 * The S3 put event for a key, as S3 would send it for this stack's bucket: with the object's size and ETag when it
 * exists (the function compares them), else size 0 and an empty object's ETag, as a template.
 */
async function eventForKey(target: Target<"s3">, key: string, readObject: boolean) {
  let size = 0;
  let etag = "d41d8cd98f00b204e9800998ecf8427e";
  let versionId: string | undefined;
  if (readObject) {
    try {
      const head = await target.clients.s3.send(
        new HeadObjectCommand({ Bucket: target.stack.bucket, Key: key }),
      );
      size = head.ContentLength ?? 0;
      etag = stripETagQuotes(head.ETag ?? etag);
      versionId = head.VersionId && head.VersionId !== "null" ? head.VersionId : undefined;
    } catch (error) {
      if (!isNotFoundError(error)) throw error;
    }
  }
  return syntheticObjectCreatedEvent({
    region: target.region,
    bucket: target.stack.bucket,
    key,
    etag,
    size,
    configurationId: target.stack.notification.id,
    ...(versionId ? { versionId } : {}),
  });
}

/**
 * `pipeline invoke`: one synchronous invocation (like `sam local invoke -e event.json`) with an S3 put event built for
 * `--key`, an event file, or stdin; prints the result, the duration and the invocation's log lines. `--print-event`
 * prints the event instead (like `sam local generate-event s3 put`). Exit 1 when the function fails.
 */
export async function invoke(options: InvokeOptions): Promise<void> {
  const output = new Output({ json: options.json });
  if (options.key !== undefined && options.event !== undefined)
    throw new UsageError("use either --key or --event, not both");
  if (options.key === "") throw new UsageError("--key needs an object key, e.g. uploads/cat.jpg");
  const fromStdin = options.key === undefined && options.event === undefined;
  if (fromStdin && process.stdin.isTTY)
    throw new UsageError("no event: give --key <key>, --event <file>, or pipe an event on stdin");
  if (options.printEvent && options.key === undefined)
    throw new UsageError("--print-event builds the event for --key <key>");
  const target = await resolveTarget(options, ["lambda", "s3"]);
  try {
    if (options.printEvent && options.key !== undefined) {
      // The object is read only when the stack answers; a template is printed otherwise.
      const reachable = await requireStack(target, ["bucket"]).then(
        () => true,
        () => false,
      );
      const event = await eventForKey(target, options.key, reachable);
      process.stdout.write(`${JSON.stringify(event, null, 2)}\n`);
      return;
    }
    await requireStack(target, ["function"]);
    const event =
      options.key !== undefined
        ? await eventForKey(target, options.key, true)
        : await readEvent(options.event ?? "-");
    await confirmAwsWrite(target, output, `invoke ${target.stack.functionName}`, options.yes);
    const started = performance.now();
    const response = await target.clients.lambda.send(
      new InvokeCommand({
        FunctionName: target.stack.functionName,
        InvocationType: "RequestResponse",
        LogType: LogType.Tail,
        Payload: Buffer.from(JSON.stringify(event)),
      }),
    );
    const durationMs = Math.round(performance.now() - started);
    const payload = response.Payload ? Buffer.from(response.Payload).toString("utf8") : "";
    let result: unknown = payload;
    try {
      result = payload ? (JSON.parse(payload) as unknown) : null;
    } catch {
      // not JSON: printed as text
    }
    const logLines = Buffer.from(response.LogResult ?? "", "base64")
      .toString("utf8")
      .split("\n")
      .filter((line) => line.trim() !== "");
    const reported = logLines.find((l) => l.startsWith("REPORT"))?.match(/Duration: ([\d.]+) ms/)?.[1];
    output.data({
      functionName: target.stack.functionName,
      statusCode: response.StatusCode,
      functionError: response.FunctionError ?? null,
      durationMs,
      ...(reported ? { billedDurationMs: Number(reported) } : {}),
      result,
      logs: logLines,
    });
    if (!output.json) {
      for (const line of logLines) output.info(output.dim(printable(line.replace(/\t/g, "  "))));
      output.line(typeof result === "string" ? printable(result) : JSON.stringify(result, null, 2));
      output.info(
        `${response.FunctionError ? output.bad(`function error (${response.FunctionError})`) : output.ok("ok")} ${target.stack.functionName} in ${durationMs} ms${reported ? ` (function ${reported} ms)` : ""}`,
      );
    }
    if (response.FunctionError) {
      const error = result as { errorType?: string; errorMessage?: string } | null;
      throw new CheckFailedError(
        `${target.stack.functionName} failed: ${error?.errorType ?? response.FunctionError}: ${error?.errorMessage ?? ""}`.trim(),
      );
    }
  } finally {
    target.clients.destroy();
  }
}
