import { describe, expect, it } from "vitest";
import { InvalidParameterError } from "../../src/engine/logs/errors.ts";
import {
  decodeFilterToken,
  encodeFilterToken,
  eventKey,
  type KeyedEvent,
  pageLogEvents,
} from "../../src/engine/logs/paging.ts";

/** Events at timestamps 1000, 2000, ... with ingestion sequence 1, 2, ... */
function events(count: number): KeyedEvent[] {
  return Array.from({ length: count }, (_, index) => ({
    timestamp: (index + 1) * 1000,
    key: eventKey((index + 1) * 1000, index + 1),
  }));
}
const timestamps = (page: { events: KeyedEvent[] }) => page.events.map((event) => event.timestamp);

describe("Function: pageLogEvents", () => {
  it("returns the newest events first page by default, oldest first within it", () => {
    const page = pageLogEvents(events(5), { limit: 2 });
    expect(timestamps(page)).toEqual([4000, 5000]);
  });

  it("returns the oldest events with startFromHead", () => {
    expect(timestamps(pageLogEvents(events(5), { limit: 2, startFromHead: true }))).toEqual([1000, 2000]);
  });

  it("pages forward until the same token comes back", () => {
    const all = events(5);
    const seen: number[] = [];
    let token: string | undefined;
    for (let round = 0; round < 10; round++) {
      const page = pageLogEvents(all, {
        limit: 2,
        startFromHead: true,
        ...(token ? { nextToken: token } : {}),
      });
      seen.push(...timestamps(page));
      if (page.nextForwardToken === token) break;
      token = page.nextForwardToken;
    }
    expect(seen).toEqual([1000, 2000, 3000, 4000, 5000]);
    const last = pageLogEvents(all, { nextToken: token as string });
    expect(last.events).toEqual([]);
    expect(last.nextForwardToken).toBe(token);
  });

  it("pages backward with nextBackwardToken", () => {
    const all = events(5);
    const first = pageLogEvents(all, { limit: 2 });
    const second = pageLogEvents(all, { limit: 2, nextToken: first.nextBackwardToken });
    const third = pageLogEvents(all, { limit: 2, nextToken: second.nextBackwardToken });
    expect([timestamps(second), timestamps(third)]).toEqual([[2000, 3000], [1000]]);
    const end = pageLogEvents(all, { limit: 2, nextToken: third.nextBackwardToken });
    expect(end.events).toEqual([]);
    expect(end.nextBackwardToken).toBe(third.nextBackwardToken);
  });

  it("sees events that arrive after the forward token was issued", () => {
    const all = events(2);
    const page = pageLogEvents(all, {});
    all.push({ timestamp: 9000, key: eventKey(9000, 3) });
    expect(timestamps(pageLogEvents(all, { nextToken: page.nextForwardToken }))).toEqual([9000]);
  });

  it("keeps a forward token valid when older events are dropped", () => {
    const all = events(4);
    const page = pageLogEvents(all, { limit: 2, startFromHead: true });
    all.splice(0, 3);
    expect(timestamps(pageLogEvents(all, { nextToken: page.nextForwardToken }))).toEqual([4000]);
  });

  it("applies startTime (inclusive) and endTime (exclusive)", () => {
    expect(
      timestamps(pageLogEvents(events(5), { startTime: 2000, endTime: 4000, startFromHead: true })),
    ).toEqual([2000, 3000]);
  });

  it("gives an empty stream tokens that terminate", () => {
    const page = pageLogEvents([], {});
    expect(page).toEqual({ events: [], nextForwardToken: "f/0", nextBackwardToken: "b/0" });
    expect(pageLogEvents([], { nextToken: page.nextForwardToken }).nextForwardToken).toBe("f/0");
  });

  it("orders events of the same millisecond by ingestion", () => {
    const same = [
      { timestamp: 5, key: eventKey(5, 1) },
      { timestamp: 5, key: eventKey(5, 2) },
    ];
    const first = pageLogEvents(same, { limit: 1, startFromHead: true });
    const second = pageLogEvents(same, { limit: 1, nextToken: first.nextForwardToken });
    expect([first.events[0]?.key, second.events[0]?.key]).toEqual([eventKey(5, 1), eventKey(5, 2)]);
  });

  it.each(["x/1", "f/abc", "f/", ""])("rejects the token %j", (token) => {
    expect(() => pageLogEvents(events(1), { nextToken: token })).toThrow(InvalidParameterError);
  });

  it("rejects a limit outside 1..10000", () => {
    expect(() => pageLogEvents(events(1), { limit: 0 })).toThrow(InvalidParameterError);
  });
});

describe("Function: encodeFilterToken", () => {
  it("round-trips through decodeFilterToken", () => {
    const key = eventKey(1_795_647_520_000, 42);
    expect(decodeFilterToken(encodeFilterToken(key))).toBe(key);
  });

  it("rejects foreign tokens", () => {
    expect(() => decodeFilterToken("bm9wZQ")).toThrow(InvalidParameterError);
  });
});
