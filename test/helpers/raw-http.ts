import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Writes `packets` on a raw connection to `endpoint`, `gapMs` apart (each its own TCP segment on loopback, so the
 * server's parser sees them apart), and resolves with everything answered until the connection closes, and when
 * that took; a connection still open after `guardMs` is destroyed (a server that answers nothing resolves "").
 */
export function exchangeRaw(
  endpoint: string,
  packets: string[],
  { gapMs = 30, guardMs = 10_000 }: { gapMs?: number; guardMs?: number } = {},
): Promise<{ answer: string; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(Number(new URL(endpoint).port), "127.0.0.1");
    let answer = "";
    const guard = setTimeout(() => socket.destroy(), guardMs);
    socket.on("data", (chunk) => {
      answer += chunk.toString("latin1");
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(guard);
      resolve({ answer, ms: Date.now() - started });
    });
    void (async () => {
      for (const packet of packets) {
        if (socket.destroyed) return;
        socket.write(packet);
        await sleep(gapMs);
      }
    })();
  });
}
