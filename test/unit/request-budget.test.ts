import { describe, expect, it } from "vitest";
import { RequestBudget } from "../../src/engine/request-limits.ts";

describe("the engine-wide budget of buffered request bytes", () => {
  it("lets reservations hold bytes up to the limit together, and gives them back on release", () => {
    // Prepare
    const budget = new RequestBudget(100);
    const first = budget.open();
    const second = budget.open();

    // Act & Assess
    expect(first.reserve(60)).toBe(true);
    expect(second.reserve(50)).toBe(false);
    expect(second.bytes).toBe(0);
    expect(second.reserve(40)).toBe(true);
    expect(budget.inFlight).toBe(100);
    expect(first.reserve(0)).toBe(true);
    expect(first.reserve(-5)).toBe(true);
    first.release();
    expect(first.bytes).toBe(0);
    expect(budget.inFlight).toBe(40);
    first.release();
    expect(budget.inFlight).toBe(40);
    expect(second.reserve(60)).toBe(true);
    expect(second.bytes).toBe(100);
    second.release();
    expect(budget.inFlight).toBe(0);
  });

  it("keeps two budgets apart", () => {
    const one = new RequestBudget(10);
    const other = new RequestBudget(10);
    expect(one.open().reserve(10)).toBe(true);
    expect(other.open().reserve(10)).toBe(true);
    expect(one.inFlight).toBe(10);
    expect(other.inFlight).toBe(10);
  });
});
