import { describe, expect, it } from "vitest";
import { ResourceAlreadyExistsError, ResourceNotFoundError } from "../../src/engine/logs/errors.ts";
import { LogStore } from "../../src/engine/logs/store.ts";

const everything = () => true;

describe("Class: LogStore", () => {
  describe("bounded by bytes (issue 21)", () => {
    it("drops the oldest events of all groups once the store holds more than its byte bound", () => {
      // 1,000 bytes a message plus AWS's 26: the bound holds 19 of them.
      const store = new LogStore({ maxStoredBytes: 20_000 });
      store.createGroup("old");
      store.createGroup("new");
      const message = "x".repeat(1000);
      for (let i = 0; i < 10; i++)
        store.append("old", "s", [{ timestamp: i, message }], { createStream: true });
      for (let i = 10; i < 40; i++)
        store.append("new", `s${i % 3}`, [{ timestamp: i, message }], { createStream: true });
      expect(store.storedBytes).toBeLessThanOrEqual(20_000);
      // The oldest went first: the old group is empty, the new one keeps its latest events.
      expect(store.getStream("old", "s").events).toEqual([]);
      expect(store.getGroup("old").storedBytes).toBe(0);
      const kept = [...store.getGroup("new").streams.values()].flatMap((stream) =>
        stream.events.map((event) => event.timestamp),
      );
      expect(Math.max(...kept)).toBe(39);
      expect(Math.min(...kept)).toBeGreaterThan(20);
      expect(store.getGroup("new").storedBytes).toBe(store.storedBytes);
    });

    it("gives the bytes of a deleted group back", () => {
      const store = new LogStore();
      store.createGroup("g");
      store.append("g", "s", [{ timestamp: 1, message: "abc" }], { createStream: true });
      expect(store.storedBytes).toBe(29);
      store.deleteGroup("g");
      expect(store.storedBytes).toBe(0);
    });
  });

  describe("Method: append", () => {
    it("stores a batch in timestamp order whatever order it came in", () => {
      const store = new LogStore({ now: () => 10_000 });
      store.createGroup("g");
      store.append(
        "g",
        "s",
        [
          { timestamp: 3, message: "c" },
          { timestamp: 1, message: "a" },
        ],
        { createStream: true },
      );
      store.append("g", "s", [{ timestamp: 2, message: "b" }]);
      const stream = store.getStream("g", "s");
      expect(stream.events.map((event) => event.message)).toEqual(["a", "b", "c"]);
      expect([stream.firstEventTimestamp, stream.lastEventTimestamp, stream.lastIngestionTime]).toEqual([
        1, 3, 10_000,
      ]);
    });

    it("refuses a missing stream unless asked to create it", () => {
      const store = new LogStore();
      store.createGroup("g");
      expect(() => store.append("g", "s", [{ timestamp: 1, message: "a" }])).toThrow(ResourceNotFoundError);
    });

    it("drops the oldest events of a group beyond the cap, across streams", () => {
      const store = new LogStore({ maxEventsPerGroup: 100 });
      store.createGroup("g");
      for (let index = 0; index < 150; index++) {
        store.append("g", index % 2 === 0 ? "even" : "odd", [{ timestamp: index, message: String(index) }], {
          createStream: true,
        });
      }
      const group = store.getGroup("g");
      const remaining = [...group.streams.values()].flatMap((stream) =>
        stream.events.map((event) => event.timestamp),
      );
      expect(group.eventCount).toBe(remaining.length);
      expect(remaining.length).toBeLessThanOrEqual(100);
      expect(Math.min(...remaining)).toBe(150 - remaining.length);
    });
  });

  describe("Method: filter", () => {
    it("interleaves streams by timestamp and pages with nextKey", () => {
      const store = new LogStore();
      store.createGroup("g");
      store.append(
        "g",
        "a",
        [
          { timestamp: 1, message: "a1" },
          { timestamp: 3, message: "a3" },
        ],
        { createStream: true },
      );
      store.append("g", "b", [{ timestamp: 2, message: "b2" }], { createStream: true });
      const streams = [...store.getGroup("g").streams.values()];
      const first = store.filter(streams, { filter: everything, limit: 2 });
      expect(first.events.map((event) => event.message)).toEqual(["a1", "b2"]);
      const second = store.filter(streams, {
        filter: everything,
        limit: 2,
        ...(first.nextKey ? { fromKey: first.nextKey } : {}),
      });
      expect(second.events.map((event) => event.message)).toEqual(["a3"]);
      expect(second.nextKey).toBeUndefined();
    });

    it("treats startTime and endTime as inclusive", () => {
      const store = new LogStore();
      store.createGroup("g");
      store.append(
        "g",
        "a",
        [1, 2, 3, 4].map((timestamp) => ({ timestamp, message: String(timestamp) })),
        { createStream: true },
      );
      const streams = [...store.getGroup("g").streams.values()];
      const result = store.filter(streams, { filter: everything, limit: 10, startTime: 2, endTime: 3 });
      expect(result.events.map((event) => event.timestamp)).toEqual([2, 3]);
    });
  });

  it("rejects duplicate groups and streams", () => {
    const store = new LogStore();
    store.createGroup("g");
    store.createStream("g", "s");
    expect(() => store.createGroup("g")).toThrow(ResourceAlreadyExistsError);
    expect(() => store.createStream("g", "s")).toThrow(ResourceAlreadyExistsError);
  });
});
