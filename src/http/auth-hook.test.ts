/**
 * A token past its expiry gets a 401 that says so, and when, on every route that takes a token: the API,
 * git over HTTP Basic, LFS batch and inference. Every other bad value (garbage, unknown, deleted,
 * refreshed away) keeps the generic answer. The header Python matches stays generic in both cases.
 */
import type { FastifyInstance, InjectOptions } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../test/helpers/databases.ts";
import { FAKE_TOKEN, seedRepo, seedToken, seedUser } from "../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../test/helpers/test-context.ts";
import { refreshToken, revokeToken } from "../auth/token-service.ts";
import type { User } from "../domain/entities.ts";
import { generateTokenValue } from "../domain/token-format.ts";
import { INVALID_CREDENTIALS } from "../errors.ts";
import { findTokenByName } from "../store/tokens.ts";
import { buildApp } from "./app.ts";

const HOUR = 3600_000;
const CHALLENGE = 'Basic realm="Berth"';

const bearer = (value: string) => ({ authorization: `Bearer ${value}` });
const basic = (value: string) => ({ authorization: `Basic ${Buffer.from(`hf_user:${value}`).toString("base64")}` });

interface Route {
  readonly name: string;
  readonly request: (auth: { authorization: string }) => InjectOptions;
  readonly basic?: boolean;
  readonly lfs?: boolean;
  /** git smart HTTP: errors are plain text, which git prints. */
  readonly git?: boolean;
}

const ROUTES: readonly Route[] = [
  { name: "whoami", request: (auth) => ({ url: "/api/whoami-v2", headers: auth }) },
  { name: "repo info", request: (auth) => ({ url: "/api/models/alice/bert", headers: auth }) },
  { name: "resolve (HEAD)", request: (auth) => ({ method: "HEAD", url: "/alice/bert/resolve/main/x", headers: auth }) },
  {
    name: "git info/refs",
    basic: true,
    git: true,
    request: (auth) => ({ url: "/alice/bert.git/info/refs?service=git-upload-pack", headers: auth }),
  },
  {
    name: "LFS batch",
    basic: true,
    lfs: true,
    request: (auth) => ({
      method: "POST",
      url: "/alice/bert.git/info/lfs/objects/batch",
      headers: { ...auth, "content-type": "application/vnd.git-lfs+json" },
      payload: { operation: "download", objects: [] },
    }),
  },
  {
    name: "inference",
    request: (auth) => ({ method: "POST", url: "/models/alice/bert", headers: auth, payload: { inputs: "hi" } }),
  },
  {
    name: "OpenAI chat",
    request: (auth) => ({
      method: "POST",
      url: "/v1/chat/completions",
      headers: auth,
      payload: { model: "alice/bert", messages: [] },
    }),
  },
];

describe.each(testDialects())("a refused token on %s", (dialect) => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let alice: User;
  let statements: string[];

  beforeEach(async () => {
    statements = [];
    ctx = await makeTestContext(dialect, {}, { trace: (sql) => statements.push(sql) });
    alice = await seedUser(ctx, "alice");
    await seedRepo(ctx, alice, "alice/bert");
    app = await buildApp(ctx);
  });
  afterEach(async () => {
    await app.close();
    await ctx.dispose();
  });

  function authOf(route: Route, value: string) {
    return route.basic ? basic(value) : bearer(value);
  }

  function expectRefusal(
    route: Route,
    response: Awaited<ReturnType<FastifyInstance["inject"]>>,
    message: string,
    head = false,
  ) {
    expect(response.statusCode, route.name).toBe(401);
    expect(response.headers["x-error-message"], route.name).toBe(INVALID_CREDENTIALS);
    expect(response.headers["x-error-code"], route.name).toBeUndefined();
    if (route.basic) expect(response.headers["www-authenticate"], route.name).toBe(CHALLENGE);
    if (route.lfs) expect(response.headers["lfs-authenticate"], route.name).toBe(CHALLENGE);
    if (head) return;
    if (route.git) {
      expect(response.headers["content-type"], route.name).toBe("text/plain; charset=utf-8");
      expect(response.body, route.name).toBe(`${message}\n`);
      return;
    }
    expect(response.json().error, route.name).toBe(message);
    // git-lfs prints `message`.
    if (route.lfs) expect(response.json().message, route.name).toBe(message);
  }

  it("says when the token expired, on every route, and records no use", async () => {
    const value = await seedToken(ctx, alice, {
      displayName: "ci",
      role: "write",
      expiresAt: new Date(ctx.now().getTime() + HOUR),
    });
    const token = await findTokenByName(ctx.db, alice.id, "ci");
    const expiresAt = token?.expiresAt?.toISOString();
    expect(expiresAt).toBeDefined();
    const fresh = await app.inject({ url: "/api/whoami-v2", headers: { ...bearer(value), "user-agent": "before" } });
    expect(fresh.statusCode).toBe(200);
    await ctx.tokenUses.flush();
    const used = await findTokenByName(ctx.db, alice.id, "ci");
    expect(used?.lastUsedUserAgent).toBe("before");

    ctx.advance(HOUR + 61_000);
    const message = `This token expired on ${expiresAt}: create a new one in Settings → Access Tokens (http://hub.test/settings/tokens)`;
    for (const route of ROUTES) {
      for (const auth of [authOf(route, value), route.basic ? bearer(value) : basic(value)]) {
        const response = await app.inject({
          ...route.request(auth),
          headers: { ...route.request(auth).headers, "user-agent": "after" },
        });
        expectRefusal(route, response, message, route.request(auth).method === "HEAD");
        expect(response.headers["x-hf-warning"], route.name).toBe(
          `token-expired; This token expired on ${expiresAt}: create a new one at http://hub.test/settings/tokens`,
        );
      }
    }
    // A refused use is no use: the last-use record is the one before expiry.
    expect(ctx.tokenUses.has(token?.id ?? "")).toBe(false);
    await ctx.tokenUses.flush();
    const after = await findTokenByName(ctx.db, alice.id, "ci");
    expect(after?.lastUsedUserAgent).toBe("before");
    expect(after?.lastUsedAt).toEqual(used?.lastUsedAt);
  });

  // Statements are counted through SQLite's trace; the code path is the same on PostgreSQL.
  it.skipIf(dialect !== "sqlite")(
    "refuses an expired token after its one indexed lookup, writing nothing",
    async () => {
      const value = await seedToken(ctx, alice, { role: "read", expiresAt: new Date(ctx.now().getTime() + HOUR) });
      ctx.advance(HOUR + 1000);
      statements.length = 0;
      const response = await app.inject({ url: "/api/whoami-v2", headers: bearer(value) });
      await ctx.tokenUses.flush();
      expect(response.statusCode).toBe(401);
      // Besides the change feed's probe (store/change-feed.ts), which every request runs.
      const work = statements.filter((sql) => !/change_event/.test(sql));
      expect(work).toHaveLength(1);
      expect(work[0]).toMatch(/^select .* from "token" inner join "user" .* where "token"\."hash" = /);
    },
  );

  it("keeps the generic answer for garbage, unknown, deleted and refreshed-away values", async () => {
    const deleted = await seedToken(ctx, alice, { displayName: "gone" });
    await revokeToken(ctx, alice.id, (await findTokenByName(ctx.db, alice.id, "gone"))?.id ?? "");
    const replaced = await seedToken(ctx, alice, { displayName: "old" });
    await refreshToken(ctx, alice.id, (await findTokenByName(ctx.db, alice.id, "old"))?.id ?? "");
    // Expired then deleted: nothing is left to say when it expired.
    const expiredThenDeleted = await seedToken(ctx, alice, {
      displayName: "short",
      expiresAt: new Date(ctx.now().getTime() + HOUR),
    });
    await revokeToken(ctx, alice.id, (await findTokenByName(ctx.db, alice.id, "short"))?.id ?? "");
    ctx.advance(HOUR + 1000);
    const values = [
      "garbage",
      "hf_",
      FAKE_TOKEN,
      `${deleted.slice(0, -1)}${deleted.endsWith("a") ? "b" : "a"}`,
      generateTokenValue(),
      deleted,
      replaced,
      expiredThenDeleted,
    ];
    for (const route of ROUTES) {
      for (const value of values) {
        const response = await app.inject(route.request(authOf(route, value)));
        expectRefusal(route, response, INVALID_CREDENTIALS, route.request(bearer(value)).method === "HEAD");
        expect(response.headers["x-hf-warning"], route.name).toBeUndefined();
      }
    }
  });
});
