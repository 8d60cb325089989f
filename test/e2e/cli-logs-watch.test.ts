import { randomBytes } from "node:crypto";
import { appendFile, cp, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetFunctionConfigurationCommand } from "@aws-sdk/client-lambda";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/artifact/paths.ts";
import { codeSha256 } from "../../src/artifact/sha.ts";
import { stripETagQuotes } from "../../src/function/record.ts";
import { fetchLogEvents, parseJsonLogLine } from "../../src/pipeline/logs.ts";
import { waitForRecord } from "../../src/pipeline/records.ts";
import { defineStack } from "../../src/stack/spec.ts";
import { hasStackTrace, parseJsonLines, runCli, startCli, useCliCleanup } from "../helpers/cli.ts";
import { useEngine } from "../helpers/engine.ts";

const stack = defineStack();

/** Resolves once `condition` holds, polling every 50 ms, or fails after `timeoutMs`. */
async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("CLI: pipeline logs", () => {
  const target = useEngine();
  useCliCleanup();
  const cli = (...args: string[]) => runCli(["--endpoint", target.endpoint, ...args]);

  beforeAll(async () => {
    target.engine?.markReady();
    const up = await cli("up");
    expect(up.code, up.stderr).toBe(0);
    const upload = await cli("upload", "fixtures/cat.jpg", "fixtures/my cat.jpg", "--wait");
    expect(upload.code, upload.stderr).toBe(0);
    // Log lines land right after the record; wait until both invocations have reported.
    await until(
      async () =>
        (await fetchLogEvents(target.clients, stack.logGroupName, { startTime: Date.now() - 60_000 })).filter(
          (e) => e.message.startsWith("REPORT "),
        ).length >= 2,
      "two REPORT lines",
    );
  });

  it("shows the function's lines: START/REPORT and the JSON lines as level, message, outcome, key", async () => {
    const result = await cli("logs");

    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines.some((l) => /^\d\d:\d\d:\d\d\.\d{3} START RequestId: /.test(l))).toBe(true);
    expect(lines.some((l) => / REPORT RequestId: .*Duration: /.test(l))).toBe(true);
    expect(lines).toContainEqual(
      expect.stringMatching(/ INFO record written outcome=written key=uploads\/my cat\.jpg pk=IMG#/),
    );
  });

  it("--json emits each event as one intact JSON line, with outcome where the function logged one", async () => {
    const raw = await fetchLogEvents(target.clients, stack.logGroupName, { startTime: Date.now() - 600_000 });

    const result = await cli("--json", "logs");

    expect(result.code, result.stderr).toBe(0);
    const stdoutLines = result.stdout.trimEnd().split("\n");
    const parsed = stdoutLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.length).toBeGreaterThanOrEqual(raw.length);
    const loggedOutcomes = raw.filter((e) => parseJsonLogLine(e.message)?.outcome !== undefined);
    expect(loggedOutcomes.length).toBeGreaterThanOrEqual(2);
    expect(parsed.filter((p) => p.outcome !== undefined)).toHaveLength(loggedOutcomes.length);
    expect(parsed).toContainEqual(
      expect.objectContaining({ outcome: "written", key: "uploads/cat.jpg", level: "INFO" }),
    );
    // Plain lines (START/END/REPORT) keep their text, stream and time.
    expect(parsed).toContainEqual(
      expect.objectContaining({
        message: expect.stringMatching(/^START RequestId: /),
        stream: expect.any(String),
      }),
    );
  });

  it("--since 1s shows fewer lines once the last event is older than that", async () => {
    const all = parseJsonLines((await cli("--json", "logs")).stdout);
    const newest = Math.max(
      ...(await fetchLogEvents(target.clients, stack.logGroupName, { startTime: 0 })).map((e) => e.timestamp),
    );
    await until(() => Date.now() > newest + 1500, "the newest event to be 1.5 s old");

    const result = await cli("--json", "logs", "--since", "1s");

    expect(result.code, result.stderr).toBe(0);
    expect(parseJsonLines(result.stdout).length).toBeLessThan(all.length);
  });

  it("says so on stderr when there is nothing in the window", async () => {
    // Runs after the --since test above: nothing has been logged since, so the last second is empty.
    const human = await cli("logs", "--since", "1s");

    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toBe("");
    expect(human.stderr).toBe(`no log events in ${stack.logGroupName} since 1s ago\n`);
  });

  it("--follow streams a new upload's lines, then exits cleanly on SIGINT", async () => {
    const follow = startCli(["--endpoint", target.endpoint, "--json", "logs", "--follow", "--since", "1m"]);
    const key = `uploads/follow/${randomBytes(4).toString("hex")}.jpg`;
    const body = await readFile(join(repoRoot, "fixtures/cat.jpg"));

    await target.clients.s3.send(
      new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body, ContentType: "image/jpeg" }),
    );

    const line = await follow.waitForJson((l) => l.key === key && l.outcome === "written");
    expect(line).toMatchObject({ message: "record written", pk: `IMG#${stack.bucket}#${key}` });
    const exit = await follow.stop("SIGINT");
    expect(exit.code, exit.stderr).toBe(0);
    expect(hasStackTrace(exit.stderr)).toBe(false);
    expect(() => parseJsonLines(exit.stdout)).not.toThrow();
  });

  it("exits 2 with one line for --since x", async () => {
    const result = await cli("logs", "--since", "x");

    expect(result.code).toBe(2);
    expect(result.stderr).toBe("pipeline: invalid --since x: expected e.g. 30s, 10m, 2h, 1d\n");
  });
});

describe("CLI: pipeline watch", () => {
  const target = useEngine();
  useCliCleanup();
  const cli = (...args: string[]) => runCli(["--endpoint", target.endpoint, ...args]);
  let inbox: string;
  let copyRoot: string;
  let functionCopy: string;
  const artifactsDir = join(repoRoot, "test-artifacts");

  beforeAll(async () => {
    target.engine?.markReady();
    const up = await cli("up");
    expect(up.code, up.stderr).toBe(0);
    inbox = await mkdtemp(join(tmpdir(), "pipeline-cli-watch-"));
    // A copy of src/ inside the repo (so package imports resolve from node_modules, and the function's
    // imports of other project folders resolve in the copy) that the test may edit.
    copyRoot = join(artifactsDir, `function-copy-${randomBytes(4).toString("hex")}`);
    await cp(join(repoRoot, "src"), join(copyRoot, "src"), { recursive: true });
    functionCopy = join(copyRoot, "src/function");
  });

  afterEach(async () => {
    // A file left behind must not leak into the next test's expectations.
    for (const file of await readdir(inbox)) await rm(join(inbox, file), { force: true });
  });

  afterAll(async () => {
    if (inbox) await rm(inbox, { recursive: true, force: true });
    // Holds the copy's build too (PIPELINE_FUNCTION_ENTRY: dist/ beside the source folder).
    if (copyRoot) await rm(copyRoot, { recursive: true, force: true });
  });

  const startWatch = () =>
    startCli(["--endpoint", target.endpoint, "--json", "watch", inbox, "--debounce", "100"], {
      env: { PIPELINE_FUNCTION_ENTRY: join(functionCopy, "handler.ts") },
    });

  it("uploads a new image and prints its record; temp and hidden files are ignored", async () => {
    const watch = startWatch();
    await watch.waitForJson((l) => l.event === "watching");
    const name = `drop-${randomBytes(4).toString("hex")}.jpg`;
    const image = await readFile(join(repoRoot, "fixtures/sunset.png"));

    // Temp files first: had they been uploaded, they would be before the real one.
    await writeFile(join(inbox, ".hidden.jpg"), image);
    await writeFile(join(inbox, `${name}.part`), image);
    await rename(join(inbox, `${name}.part`), join(inbox, name));

    const record = await watch.waitForJson((l) => l.event === "record");
    expect(record).toMatchObject({
      pk: `IMG#${stack.bucket}#uploads/${name}`,
      sk: expect.stringMatching(/^META#[0-9a-f]{32}$/),
      latencyMs: expect.any(Number),
      time: expect.any(String),
    });
    const uploaded = watch.jsonLines().filter((l) => l.event === "uploaded");
    expect(uploaded.map((l) => l.key)).toEqual([`uploads/${name}`]);
    for (const key of ["uploads/.hidden.jpg", `uploads/${name}.part`]) {
      await expect(
        target.clients.s3.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: key })),
      ).rejects.toThrow();
    }
    // The function's own log lines stream in the same output.
    await watch.waitForJson((l) => l.event === "log" && String(l.message).includes(`uploads/${name}`));
    const exit = await watch.stop("SIGINT");
    expect(exit.code, exit.stderr).toBe(0);
    expect(hasStackTrace(exit.stderr)).toBe(false);
    expect(exit.stderr).not.toContain("MaxListenersExceededWarning");
  });

  it("rebuilds and redeploys when the function source changes, and prints the time it took", async () => {
    const repoZip = await readFile(join(repoRoot, "dist/function.zip")).catch(() => undefined);
    const before = await target.clients.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: stack.functionName }),
    );
    const watch = startWatch();
    await watch.waitForJson((l) => l.event === "watching");

    await appendFile(
      join(functionCopy, "handler.ts"),
      `\nexport const watchTestMarker = "${randomBytes(4).toString("hex")}";\n`,
    );

    const redeployed = await watch.waitForJson(
      (l) => l.event === "redeployed" || l.event === "redeploy-failed",
    );
    expect(redeployed).toMatchObject({
      event: "redeployed",
      codeSha256: expect.any(String),
      buildMs: expect.any(Number),
      deployMs: expect.any(Number),
      totalMs: expect.any(Number),
    });
    expect(redeployed.codeSha256).not.toBe(before.CodeSha256);
    const after = await target.clients.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: stack.functionName }),
    );
    expect(after.CodeSha256).toBe(redeployed.codeSha256);
    // The build went beside the copy, not over the repo's artifact that verify compares against.
    const copyZip = await readFile(join(copyRoot, "src/dist/function.zip"));
    expect(codeSha256(copyZip)).toBe(redeployed.codeSha256);
    if (repoZip)
      expect(codeSha256(await readFile(join(repoRoot, "dist/function.zip")))).toBe(codeSha256(repoZip));
    // The redeployed code still ingests.
    const key = `uploads/after-redeploy-${randomBytes(4).toString("hex")}.jpg`;
    const put = await target.clients.s3.send(
      new PutObjectCommand({
        Bucket: stack.bucket,
        Key: key,
        Body: await readFile(join(repoRoot, "fixtures/cat.jpg")),
        ContentType: "image/jpeg",
      }),
    );
    expect(
      await waitForRecord(target.clients, stack, key, stripETagQuotes(put.ETag ?? ""), { timeoutMs: 15_000 }),
    ).toBeDefined();
    const exit = await watch.stop("SIGINT");
    expect(exit.code, exit.stderr).toBe(0);
  });

  it("redeploys when a project file the handler imports from outside its folder changes", async () => {
    const watch = startWatch();
    await watch.waitForJson((l) => l.event === "watching");

    await appendFile(join(copyRoot, "src/aws/errors.ts"), `// touched ${Date.now()}\n`);

    const redeployed = await watch.waitForJson(
      (l) => l.event === "redeployed" || l.event === "redeploy-failed",
    );
    expect(redeployed.event, String(redeployed.error)).toBe("redeployed");
    expect((await watch.stop("SIGINT")).code).toBe(0);
  });

  it("prints the redeploy with its time in human mode", async () => {
    const watch = startCli(["--endpoint", target.endpoint, "watch", inbox, "--debounce", "100"], {
      env: { PIPELINE_FUNCTION_ENTRY: join(functionCopy, "handler.ts") },
    });
    await until(() => watch.stdout.includes("watching "), "the watching line");

    await appendFile(join(functionCopy, "handler.ts"), `// touched ${Date.now()}\n`);

    await until(
      () => /redeployed image-metadata-ingest in \d+ ms \(build \d+ ms, deploy \d+ ms\)/.test(watch.stdout),
      "the redeployed line",
    );
    expect((await watch.stop("SIGINT")).code).toBe(0);
  });
});
