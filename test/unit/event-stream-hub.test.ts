import { EventEmitter } from "node:events";
import type { IncomingMessage } from "node:http";
import type { PassThrough } from "node:stream";
import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { EventStreamHub, sseFrame } from "../../src/dashboard/event-stream.ts";

/** Opens a stream on `hub` and records every chunk written to it after the initial frames. */
function openStream(hub: EventStreamHub) {
  const request = { socket: new EventEmitter() } as unknown as IncomingMessage;
  const stream = hub.open(request, []).body as PassThrough;
  const chunks: string[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk.toString()));
  return { chunks, stream };
}

describe("EventStreamHub", () => {
  it("writes the frames of one turn of the event loop as one chunk, in order", async () => {
    const hub = new EventStreamHub();
    const { chunks } = openStream(hub);
    await nextTurn();
    chunks.length = 0;
    hub.send("log", { n: 1 });
    hub.send("log", { n: 2 });
    hub.send("failed", { at: 3 });
    expect(chunks).toEqual([]);
    await nextTurn();
    await nextTurn();
    expect(chunks).toEqual([
      sseFrame("log", { n: 1 }) + sseFrame("log", { n: 2 }) + sseFrame("failed", { at: 3 }),
    ]);
    hub.close();
  });

  it("sends a keyed frame once per turn, in its latest state and after what was sent before it", async () => {
    const hub = new EventStreamHub();
    const { chunks } = openStream(hub);
    await nextTurn();
    chunks.length = 0;
    hub.send("row", { id: "o1", status: "uploaded" }, "o1");
    hub.send("row", { id: "o2", status: "uploaded" }, "o2");
    hub.send("log", { line: "written" });
    hub.send("row", { id: "o1", status: "written" }, "o1");
    await nextTurn();
    await nextTurn();
    expect(chunks.join("")).toBe(
      sseFrame("row", { id: "o2", status: "uploaded" }) +
        sseFrame("log", { line: "written" }) +
        sseFrame("row", { id: "o1", status: "written" }),
    );
    hub.close();
  });

  it("writes what is pending before it ends the streams on close", async () => {
    const hub = new EventStreamHub();
    const { chunks, stream } = openStream(hub);
    hub.send("records", { at: 1 }, "");
    hub.close();
    await new Promise((resolve) => stream.once("end", resolve));
    expect(chunks.join("")).toContain(sseFrame("records", { at: 1 }));
  });
});
