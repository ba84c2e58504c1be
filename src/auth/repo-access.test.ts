import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bearer, seedOrg, seedRepo, seedToken, seedUser } from "../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../test/helpers/test-context.ts";
import { buildApp } from "../http/app.ts";

/**
 * A private repo the caller may not see must not answer faster or slower than a name that exists
 * nowhere: the two paths run the same statements. Counted with SQLite's statement trace (the code path
 * is the same on PostgreSQL), which says what a stopwatch only suggests.
 */
describe("requireRepo on sqlite", () => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let statements: string[];

  beforeEach(async () => {
    statements = [];
    ctx = await makeTestContext("sqlite", {}, { trace: (sql) => statements.push(sql) });
    app = await buildApp(ctx);
  });
  afterEach(async () => {
    await app.close();
    await ctx.dispose();
  });

  async function statementsOf(
    url: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; sql: string[] }> {
    await ctx.tokenUses.flush();
    statements = [];
    const response = await app.inject({ url, headers });
    // Writes of last use are batched off the request path; they are not part of this request's work.
    const sql = statements
      // Last-use writes are batched off the request path, and the change feed's probe runs whatever the
      // name: neither is work that depends on the name looked up.
      .filter((text) => !/^update "token"|change_event/i.test(text))
      // The trace shows bound values; the work is in the statement, not in the name looked up.
      .map((text) => text.replace(/'[^']*'(\/\*[^*]*\*\/)?/g, "?"));
    return { status: response.statusCode, sql };
  }

  it("runs the same statements for a hidden private repo, a moved one and a missing name", async () => {
    const alice = await seedUser(ctx, "alice");
    const bob = await seedUser(ctx, "bob");
    await seedOrg(ctx, "acme", alice);
    await seedRepo(ctx, alice, "alice/secret", { private: true });
    await seedRepo(ctx, alice, "acme/secret", { private: true, gated: "manual" });
    await seedRepo(ctx, alice, "alice/old-secret", { private: true });
    await app.inject({
      method: "POST",
      url: "/api/repos/move",
      headers: bearer(await seedToken(ctx, alice)),
      payload: { fromRepo: "alice/old-secret", toRepo: "alice/new-secret" },
    });
    const headers = bearer(await seedToken(ctx, bob));
    // Warm the token's last-use record, so every request below finds it fresh.
    await app.inject({ url: "/api/whoami-v2", headers });

    for (const who of [headers, {}]) {
      const missing = await statementsOf("/api/models/alice/nothing", who);
      const cases = ["alice/secret", "acme/secret", "alice/old-secret", "nobody/nothing"];
      for (const id of cases) {
        const seen = await statementsOf(`/api/models/${id}`, who);
        expect(seen.status, id).toBe(missing.status);
        expect(seen.sql, id).toEqual(missing.sql);
      }
    }
  });
});
