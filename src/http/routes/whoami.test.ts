import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { bearer, FAKE_TOKEN, seedOrg, seedToken, seedUser } from "../../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../../test/helpers/test-context.ts";
import { buildApp } from "../app.ts";

describe.each(testDialects())("GET /api/whoami-v2 on %s", (dialect) => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
  });
  afterEach(async () => ctx.dispose());

  it("describes the token's user, orgs and token", async () => {
    const alice = await seedUser(ctx, "alice");
    await seedOrg(ctx, "acme", alice);
    const token = await seedToken(ctx, alice, { displayName: "ci", role: "read" });
    const app = await buildApp(ctx);
    const response = await app.inject({ url: "/api/whoami-v2", headers: bearer(token) });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ type: "user", name: "alice", email: "alice@example.test", orgs: [{ name: "acme" }] });
    expect(body.auth).toMatchObject({ type: "access_token", accessToken: { displayName: "ci", role: "read" } });
    expect(response.headers["x-request-id"]).toBeTruthy();
  });

  it("refuses anonymous and bad tokens with 401", async () => {
    const app = await buildApp(ctx);
    expect((await app.inject({ url: "/api/whoami-v2" })).statusCode).toBe(401);
    const bad = await app.inject({ url: "/api/whoami-v2", headers: bearer(FAKE_TOKEN) });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers["x-error-message"]).toBe("Invalid credentials in Authorization header");
    expect(bad.headers["x-error-code"]).toBeUndefined();
  });
});
