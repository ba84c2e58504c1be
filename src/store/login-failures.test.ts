import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../test/helpers/databases.ts";
import { makeTestContext, type TestContext } from "../../test/helpers/test-context.ts";
import { clearLoginFailures, countLoginFailures, recordLoginFailure } from "./login-failures.ts";

describe.each(testDialects())("login failure store on %s", (dialect) => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
  });
  afterEach(async () => ctx?.dispose());

  const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));
  const subjects = ["user:alice", "ip:203.0.113.1"];

  it("counts failures per subject since a time, in the order asked", async () => {
    await recordLoginFailure(ctx.db, subjects, at(10), at(0));
    await recordLoginFailure(ctx.db, subjects, at(20), at(0));
    await recordLoginFailure(ctx.db, ["user:bob", "ip:203.0.113.1"], at(30), at(0));
    expect(await countLoginFailures(ctx.db, ["ip:203.0.113.1", "user:alice", "user:bob", "user:carol"], at(0))).toEqual(
      [3, 2, 1, 0],
    );
    expect(await countLoginFailures(ctx.db, subjects, at(15))).toEqual([1, 2]);
  });

  it("prunes failures older than the window when recording", async () => {
    await recordLoginFailure(ctx.db, subjects, at(10), at(0));
    await recordLoginFailure(ctx.db, subjects, at(100), at(50));
    expect(await countLoginFailures(ctx.db, subjects, at(0))).toEqual([1, 1]);
  });

  it("clears one subject only", async () => {
    await recordLoginFailure(ctx.db, subjects, at(10), at(0));
    await clearLoginFailures(ctx.db, "user:alice");
    expect(await countLoginFailures(ctx.db, subjects, at(0))).toEqual([0, 1]);
  });
});
