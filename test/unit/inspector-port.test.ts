import { describe, expect, it } from "vitest";
import { InspectorPort } from "../../src/engine/lambda/inspector-port.ts";

describe("InspectorPort: one runtime process holds the inspector's port at a time", () => {
  it("a second holder waits until the first releases the port (its process exited)", async () => {
    const port = new InspectorPort(9339);
    const first = await port.take();
    expect(first.address).toBe("127.0.0.1:9339");
    let secondTook = false;
    const second = port.take().then((holder) => {
      secondTook = true;
      return holder;
    });
    // Let every pending microtask and timer of this turn run: the second holder must still be waiting.
    await new Promise((resolve) => setImmediate(resolve));
    expect(secondTook).toBe(false);
    first.release();
    await second;
    expect(secondTook).toBe(true);
  });

  it("holders queue in order: the third waits for the second, not for the first", async () => {
    const port = new InspectorPort(9339);
    const first = await port.take();
    const order: string[] = [];
    const held = (name: string) => (holder: { release: () => void }) => {
      order.push(name);
      return holder;
    };
    const second = port.take().then(held("second"));
    const third = port.take().then(held("third"));
    first.release();
    (await second).release();
    await third;
    expect(order).toEqual(["second", "third"]);
  });
});
