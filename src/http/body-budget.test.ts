import { describe, expect, it } from "vitest";
import { BodyBudget, BodyLease } from "./body-budget.ts";

describe("BodyBudget", () => {
  it("grants reservations up to its capacity and takes nothing for one that does not fit", () => {
    const budget = new BodyBudget(100);
    expect(budget.tryReserve(60)).toBe(true);
    expect(budget.tryReserve(50)).toBe(false);
    expect(budget.used).toBe(60);
    expect(budget.tryReserve(40)).toBe(true);
    budget.release(100);
    expect(budget.used).toBe(0);
  });

  it("covers a body by its route's factor, grows with it, and releases everything once", () => {
    const budget = new BodyBudget(1000);
    const lease = new BodyLease(budget, 2);
    expect(lease.cover(100)).toBe(true);
    expect(budget.used).toBeGreaterThanOrEqual(200);
    expect(lease.cover(400)).toBe(true);
    expect(budget.used).toBeGreaterThanOrEqual(800);
    expect(budget.used).toBeLessThanOrEqual(1000);
    expect(lease.cover(600)).toBe(false);
    lease.release();
    lease.release();
    expect(budget.used).toBe(0);
    expect(lease.cover(1)).toBe(false);
  });

  it("never lets many leases together pass the capacity", () => {
    const budget = new BodyBudget(10_000);
    const leases = Array.from({ length: 50 }, () => new BodyLease(budget, 3));
    let granted = 0;
    for (let step = 1; step <= 20; step++) {
      for (const lease of leases) if (lease.cover(step * 50)) granted++;
      expect(budget.used).toBeLessThanOrEqual(10_000);
    }
    expect(granted).toBeGreaterThan(0);
  });
});
