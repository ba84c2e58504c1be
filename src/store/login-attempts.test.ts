import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../test/helpers/databases.ts";
import { makeTestContext, type TestContext } from "../../test/helpers/test-context.ts";
import { countLoginAttempts, type LoginLimit, releaseLoginAttempt, reserveLoginAttempt } from "./login-attempts.ts";

describe.each(testDialects())("login attempt store on %s", (dialect) => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
  });
  afterEach(async () => ctx?.dispose());

  const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0) + seconds * 1000);
  const limit = (seconds: number, subjects = ["user:alice", "ip:203.0.113.1"]): LoginLimit => ({
    subjects,
    now: at(seconds),
    windowSeconds: 100,
    max: 3,
  });
  const reserve = (seconds: number, subjects?: string[]) => reserveLoginAttempt(ctx.db, limit(seconds, subjects));

  it("records an attempt under every subject until one of them reaches the limit", async () => {
    for (const seconds of [1, 2, 3]) expect(await reserve(seconds)).toMatchObject({ type: "reserved" });
    expect(await reserve(4)).toMatchObject({ type: "refused" });
    // The address is full, so an attempt on another account from it is refused and recorded nowhere.
    expect(await reserve(5, ["user:bob", "ip:203.0.113.1"])).toMatchObject({ type: "refused" });
    expect(await countLoginAttempts(ctx.db, ["user:alice", "ip:203.0.113.1", "user:bob"], at(0))).toEqual([3, 3, 0]);
  });

  it("slides the window and says when the attempt that holds the limit leaves it", async () => {
    for (const seconds of [10, 40, 70]) await reserve(seconds);
    expect(await reserve(80)).toEqual({ type: "refused", retryAt: at(110) });
    expect(await reserve(109)).toEqual({ type: "refused", retryAt: at(110) });
    // The first attempt has left the window: one place, taken, and the next one frees at 40 + 100.
    expect(await reserve(110)).toMatchObject({ type: "reserved" });
    expect(await reserve(111)).toEqual({ type: "refused", retryAt: at(140) });
  });

  it("releases a right password's attempt and forgives only the subjects asked", async () => {
    await reserve(1);
    await reserve(2);
    const right = await reserve(3);
    if (right.type !== "reserved") throw new Error("expected a reservation");
    await releaseLoginAttempt(ctx.db, right.attempt, ["user:alice"]);
    expect(await countLoginAttempts(ctx.db, ["user:alice", "ip:203.0.113.1"], at(0))).toEqual([0, 2]);
  });

  it("prunes attempts that left the window", async () => {
    await reserve(1);
    await reserve(500, ["user:bob", "ip:203.0.113.2"]);
    expect(await countLoginAttempts(ctx.db, ["user:alice", "ip:203.0.113.1"], at(-1000))).toEqual([0, 0]);
  });

  it("never lets parallel attempts past the limit", async () => {
    const results = await Promise.all(Array.from({ length: 40 }, () => reserve(1)));
    expect(results.filter((result) => result.type === "reserved")).toHaveLength(3);
    expect(await countLoginAttempts(ctx.db, ["user:alice"], at(0))).toEqual([3]);
  });
});
