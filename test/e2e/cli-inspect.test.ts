import { readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as wait } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { UpdateFunctionConfigurationCommand, waitUntilFunctionUpdatedV2 } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/artifact/paths.ts";
import { createAwsClients } from "../../src/aws/all-clients.ts";
import { type AwsClients, EMULATOR_CREDENTIALS } from "../../src/aws/clients.ts";
import { defineStack } from "../../src/stack/spec.ts";
import { CdpSession } from "../helpers/cdp.ts";
import { type CliProcess, hasStackTrace, parseJson, runCli, startCli } from "../helpers/cli.ts";
import { eventually } from "../helpers/poll.ts";
import { unusedPort } from "../helpers/ports.ts";

const stack = defineStack();
const handlerFile = join(repoRoot, "src/function/handler.ts");
/** The statement the breakpoint goes on: the handler's first line of its own (0-based line in handler.ts). */
const handlerLine = readFileSync(handlerFile, "utf8")
  .split("\n")
  .findIndex((line) => line.includes("if (!tableName)"));
/** The function's timeout for this suite: short, so a pause can outlast it within the test. */
const timeoutSeconds = 2;

interface InspectorTarget {
  url: string;
  webSocketDebuggerUrl: string;
}

/**
 * The generated line the source map maps to `line` of `source`, as a debugger finds it for a breakpoint set in the
 * original file: the first generated line whose first mapped column comes from there.
 */
function generatedLineOf(map: ScriptMap, code: string, source: string, line: number): number {
  const lines = code.split("\n");
  for (let generated = 0; generated < lines.length; generated++) {
    const column = lines[generated]?.search(/\S/) ?? -1;
    if (column < 0) continue;
    const original = map.original(generated, column);
    if (original.source === source && original.line === line) return generated;
  }
  throw new Error(`no generated line maps to ${source}:${line + 1}`);
}

/**
 * The script's inline source map, with each original position's source resolved against the map's `sourceRoot`
 * as debuggers resolve it (Node's SourceMap reports sources as written).
 */
function inlineSourceMap(code: string) {
  const data = /\/\/# sourceMappingURL=data:application\/json;base64,(\S+)\s*$/.exec(code)?.[1];
  if (!data) throw new Error("the debug build has no inline source map");
  const payload = JSON.parse(Buffer.from(data, "base64").toString("utf8")) as { sourceRoot?: string };
  const map = new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0]);
  return {
    original(line: number, column: number): { source?: string; line?: number } {
      const entry = map.findEntry(line, column) as {
        generatedLine?: number;
        originalSource?: string;
        originalLine?: number;
      };
      if (entry.generatedLine !== line || entry.originalSource === undefined) return {};
      return { source: new URL(entry.originalSource, payload.sourceRoot).href, line: entry.originalLine };
    },
  };
}
type ScriptMap = ReturnType<typeof inlineSourceMap>;

describe("up --inspect: a debugger attached to the pipeline function", { timeout: 180_000 }, () => {
  let endpoint: string;
  let inspectPort: number;
  let up: CliProcess;
  let clients: AwsClients;
  let cdp: CdpSession | undefined;
  const cli = (args: string[]) => runCli(args, { env: { PIPELINE_ENDPOINT: endpoint }, timeoutMs: 90_000 });
  const targets = async () =>
    (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as InspectorTarget[];

  beforeAll(async () => {
    const port = await unusedPort();
    inspectPort = await unusedPort();
    endpoint = `http://127.0.0.1:${port}`;
    up = startCli(["up", "--port", String(port), `--inspect=${inspectPort}`], { timeoutMs: 600_000 });
    await eventually("up to print its hints", () => (up.stdout.includes("Ctrl-C") ? true : undefined), {
      timeoutMs: 120_000,
    });
    clients = createAwsClients({ endpoint, region: stack.region, credentials: EMULATOR_CREDENTIALS });
  }, 150_000);

  afterAll(async () => {
    cdp?.close();
    clients?.destroy();
    await up?.stop();
  });

  it("up's summary states the inspector address, the function and what inspect changes", () => {
    expect(up.stdout).toContain(
      `  inspector  127.0.0.1:${inspectPort}: ${stack.functionName} (debug build) in one environment, no timeout`,
    );
  });

  it("an inspector port already in use: one line naming it and a free one, exit 2, before anything starts", async () => {
    const holder = createServer();
    const taken = await new Promise<number>((resolve) =>
      holder.listen(0, "127.0.0.1", () => resolve((holder.address() as { port: number }).port)),
    );
    try {
      const result = await runCli(["up", "--port", "0", `--inspect=${taken}`]);

      expect(result.code, result.stderr).toBe(2);
      expect(hasStackTrace(result.stderr)).toBe(false);
      expect(result.stderr.trimEnd().split("\n")).toEqual([
        expect.stringMatching(
          new RegExp(
            `^pipeline: inspector port 127\\.0\\.0\\.1:${taken} is in use .*: choose another with --inspect=\\d+$`,
          ),
        ),
      ]);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it("verify: the code row recognises the debug build (the same sources), and every stack check passes", async () => {
    const result = await cli(["verify", "--skip-probe"]);

    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    const row = result.stdout
      .split("\n")
      .find((line) => line.includes("Deployed code equals the local build"));
    expect(row).toMatch(/^PASS .*: the debug build \(up --inspect\) of the same sources/);
  });

  it("a breakpoint on handler.ts pauses an invocation past the function's timeout; resumed, it succeeds", async () => {
    await clients.lambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: stack.functionName, Timeout: timeoutSeconds }),
    );
    await waitUntilFunctionUpdatedV2(
      { client: clients.lambda, maxWaitTime: 30 },
      { FunctionName: stack.functionName },
    );
    // The upload's invocation starts the function's one environment, under the inspector.
    const upload = await cli(["upload", "fixtures/cat.jpg", "--wait"]);
    expect(upload.code, upload.stderr).toBe(0);
    const [target, ...others] = await targets();
    expect(others).toEqual([]);
    if (!target) throw new Error("no inspector target");
    cdp = await CdpSession.connect(target.webSocketDebuggerUrl);
    await cdp.send("Debugger.enable");
    const script = await cdp.waitFor("Debugger.scriptParsed", (p) => String(p.url).endsWith("/index.mjs"));
    const { scriptSource } = await cdp.send<{ scriptSource: string }>("Debugger.getScriptSource", {
      scriptId: script.scriptId,
    });
    const map = inlineSourceMap(scriptSource);
    const source = pathToFileURL(handlerFile).href;
    const breakpoint = await cdp.send<{ breakpointId: string; locations: unknown[] }>(
      "Debugger.setBreakpointByUrl",
      { url: script.url, lineNumber: generatedLineOf(map, scriptSource, source, handlerLine) },
    );
    expect(breakpoint.locations).toHaveLength(1);

    const invoke = startCli(["--json", "invoke", "--key", `${stack.uploadPrefix}cat.jpg`], {
      env: { PIPELINE_ENDPOINT: endpoint },
      timeoutMs: 120_000,
    });
    const paused = await cdp.waitFor("Debugger.paused", () => true, 60_000);
    const frame = (
      paused.callFrames as Array<{
        callFrameId: string;
        location: { lineNumber: number; columnNumber: number };
      }>
    )[0];
    if (!frame) throw new Error("paused without a call frame");
    const original = map.original(frame.location.lineNumber, frame.location.columnNumber);
    expect(original).toEqual({
      source,
      line: handlerLine,
    });
    // Names as written: the debug build is not minified.
    const tableName = await cdp.send<{ result: { value: unknown } }>("Debugger.evaluateOnCallFrame", {
      callFrameId: frame.callFrameId,
      expression: "tableName",
    });
    expect(tableName.result.value).toBe(stack.table);
    // The pause outlasts the function's timeout on purpose: time has to pass for that (no condition to poll).
    await wait(timeoutSeconds * 1000 + 1500);
    expect(invoke.child.exitCode, invoke.stderr).toBeNull();
    // Meanwhile a second invocation waits for the one environment (the port has one holder) instead of starting another.
    const second = startCli(["--json", "invoke", "--key", `${stack.uploadPrefix}cat.jpg`], {
      env: { PIPELINE_ENDPOINT: endpoint },
      timeoutMs: 120_000,
    });
    await cdp.send("Debugger.removeBreakpoint", { breakpointId: breakpoint.breakpointId });
    await cdp.send("Debugger.resume");

    const result = await invoke.exit();
    expect(result.code, result.stderr).toBe(0);
    const answer = parseJson<{
      functionError: string | null;
      durationMs: number;
      result: { duplicate: number };
    }>(result);
    expect(answer.functionError).toBeNull();
    expect(answer.durationMs).toBeGreaterThan(timeoutSeconds * 1000);
    expect(answer.result.duplicate).toBe(1);
    const next = await second.exit();
    expect(next.code, next.stderr).toBe(0);
    expect((await targets()).map((t) => t.webSocketDebuggerUrl)).toEqual([target.webSocketDebuggerUrl]);
  });
});
