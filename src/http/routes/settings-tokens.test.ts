import { sql } from "kysely";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { bearer, seedOrg, seedRepo, seedToken, seedUser, TEST_PASSWORD } from "../../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../../test/helpers/test-context.ts";
import { createContext } from "../../context.ts";
import type { User } from "../../domain/entities.ts";
import { generateTokenValue } from "../../domain/token-format.ts";
import { listTokens } from "../../store/tokens.ts";
import { buildApp } from "../app.ts";

const INVALID = "Invalid credentials in Authorization header";
type App = Awaited<ReturnType<typeof buildApp>>;

describe.each(testDialects())("token settings API on %s", (dialect) => {
  let ctx: TestContext;
  let app: App;
  let alice: User;
  let session: { cookies: { berth_session: string }; headers: { "x-csrf-token": string } };

  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    alice = await seedUser(ctx, "alice");
    app = await buildApp(ctx);
    const login = await app.inject({
      method: "POST",
      url: "/api/auth/login",
      payload: { username: "alice", password: TEST_PASSWORD },
    });
    const cookie = login.cookies.find((c) => c.name === "berth_session")?.value ?? "";
    session = { cookies: { berth_session: cookie }, headers: { "x-csrf-token": login.json().csrfToken } };
  });
  afterEach(async () => ctx?.dispose());

  const create = (payload: object) => app.inject({ method: "POST", url: "/api/settings/tokens", payload, ...session });
  const whoami = (headers: Record<string, string>) => app.inject({ url: "/api/whoami-v2", headers });
  async function createValue(payload: object): Promise<{ id: string; token: string }> {
    const response = await create(payload);
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  }

  describe("who may use it", () => {
    it("takes a session; a token gets 403 and anonymous 401", async () => {
      expect((await app.inject({ url: "/api/settings/tokens", ...session })).statusCode).toBe(200);
      const token = await seedToken(ctx, alice, { role: "write" });
      const basic = `Basic ${Buffer.from(`alice:${token}`).toString("base64")}`;
      for (const headers of [bearer(token), { authorization: basic }]) {
        expect((await app.inject({ url: "/api/settings/tokens", headers })).statusCode).toBe(403);
        const created = await app.inject({
          method: "POST",
          url: "/api/settings/tokens",
          headers,
          payload: { displayName: "minted", role: "write" },
        });
        expect(created.statusCode).toBe(403);
      }
      expect((await app.inject({ url: "/api/settings/tokens" })).statusCode).toBe(401);
      const anonymousCreate = await app.inject({
        method: "POST",
        url: "/api/settings/tokens",
        payload: { displayName: "x", role: "read" },
      });
      expect(anonymousCreate.statusCode).toBe(401);
      expect(await listTokens(ctx.db, alice.id)).toHaveLength(1);
    });

    it("refuses a state change without the CSRF token, or with a wrong one", async () => {
      const payload = { displayName: "ci", role: "read" };
      const missing = await app.inject({
        method: "POST",
        url: "/api/settings/tokens",
        payload,
        cookies: session.cookies,
      });
      expect(missing.statusCode).toBe(403);
      const right = session.headers["x-csrf-token"];
      const oneOff = `${right.slice(0, -1)}${right.endsWith("0") ? "1" : "0"}`;
      for (const csrf of ["wrong", oneOff, right.toUpperCase(), ""]) {
        const response = await app.inject({
          method: "POST",
          url: "/api/settings/tokens",
          payload,
          cookies: session.cookies,
          headers: { "x-csrf-token": csrf },
        });
        expect(response.statusCode).toBe(403);
      }
      const { id } = await createValue(payload);
      for (const request of [
        { method: "DELETE" as const, url: `/api/settings/tokens/${id}` },
        { method: "POST" as const, url: `/api/settings/tokens/${id}/refresh` },
      ]) {
        expect((await app.inject({ ...request, cookies: session.cookies })).statusCode).toBe(403);
      }
      expect(await listTokens(ctx.db, alice.id)).toHaveLength(1);
    });
  });

  describe("creating", () => {
    it("creates read, write and fine-grained tokens that work at once", async () => {
      await seedOrg(ctx, "acme", alice);
      await seedRepo(ctx, alice, "acme/bert", { private: true });
      const read = await createValue({ displayName: "read", role: "read" });
      const write = await createValue({ displayName: "write", role: "write" });
      const fine = await createValue({
        displayName: "fine",
        role: "fineGrained",
        fineGrained: {
          canReadGatedRepos: true,
          global: ["discussion.write"],
          scoped: [
            { entity: { type: "user", name: "alice" }, permissions: ["repo.content.read", "repo.write"] },
            { entity: { type: "org", name: "ACME" }, permissions: ["org.read"] },
            { entity: { type: "model", name: "acme/bert" }, permissions: ["repo.content.read"] },
          ],
        },
      });
      for (const [created, role] of [
        [read, "read"],
        [write, "write"],
        [fine, "fineGrained"],
      ] as const) {
        expect(created.token).toMatch(/^hf_[A-Za-z]{34}$/);
        expect(created.id).toMatch(/^[0-9a-f]{24}$/);
        const response = await whoami(bearer(created.token));
        expect(response.statusCode).toBe(200);
        expect(response.json().auth).toMatchObject({ type: "access_token", accessToken: { role } });
      }
      const fineGrained = (await whoami(bearer(fine.token))).json().auth.accessToken.fineGrained;
      expect(fineGrained).toMatchObject({
        canReadGatedRepos: true,
        global: ["discussion.write"],
        scoped: [
          { entity: { type: "user", name: "alice", _id: alice.id } },
          { entity: { type: "org", name: "acme" }, permissions: ["org.read"] },
          { entity: { type: "model", name: "acme/bert" } },
        ],
      });
    });

    it("returns the value once and never lists it", async () => {
      const created = await createValue({ displayName: "ci", role: "write" });
      const list = await app.inject({ url: "/api/settings/tokens", ...session });
      expect(list.statusCode).toBe(200);
      expect(list.body).not.toContain(created.token);
      expect(list.body).not.toContain(created.token.slice(3, 31));
      expect(list.json()).toEqual([
        expect.objectContaining({
          id: created.id,
          displayName: "ci",
          role: "write",
          hint: `hf_…${created.token.slice(-4)}`,
        }),
      ]);
      expect(list.json()[0]).not.toHaveProperty("token");
    });

    it("refuses an unknown permission or entity type with 400 naming it", async () => {
      const unknownPermission = await create({
        displayName: "x",
        role: "fineGrained",
        fineGrained: { scoped: [{ entity: { type: "user", name: "alice" }, permissions: ["repo.destroy"] }] },
      });
      expect(unknownPermission.statusCode).toBe(400);
      expect(unknownPermission.json().error).toContain('"repo.destroy"');
      const unknownType = await create({
        displayName: "x",
        role: "fineGrained",
        fineGrained: { scoped: [{ entity: { type: "bucket", name: "alice/b" }, permissions: ["repo.write"] }] },
      });
      expect(unknownType.statusCode).toBe(400);
      expect(unknownType.json().error).toContain('"bucket"');
      const globalUnknown = await create({ displayName: "x", role: "fineGrained", fineGrained: { global: ["x.y"] } });
      expect(globalUnknown.statusCode).toBe(400);
      expect(globalUnknown.json().error).toContain('"x.y"');
      expect(await listTokens(ctx.db, alice.id)).toEqual([]);
    });

    it("answers a scope on an entity the user cannot see exactly like one on a missing entity", async () => {
      const bob = await seedUser(ctx, "bob");
      await seedRepo(ctx, bob, "bob/secret", { private: true });
      await seedOrg(ctx, "initech", bob);
      const messageFor = async (type: string, name: string) => {
        const response = await create({
          displayName: "x",
          role: "fineGrained",
          fineGrained: { scoped: [{ entity: { type, name }, permissions: ["repo.content.read"] }] },
        });
        expect(response.statusCode).toBe(400);
        return (response.json().error as string).replace(name, "NAME");
      };
      const hidden = await messageFor("model", "bob/secret");
      expect(await messageFor("model", "bob/nothing")).toBe(hidden);
      expect(await messageFor("model", "nobody/nothing")).toBe(hidden);
      // Another user, and an org the user is not in, exist but are not theirs to scope.
      expect(await messageFor("user", "bob")).toBe(await messageFor("user", "nobody"));
      expect(await messageFor("org", "initech")).toBe(await messageFor("org", "noorg"));
    });

    it("refuses permissions on a read or write token, duplicate names and bad expiries", async () => {
      const scopedWrite = await create({
        displayName: "x",
        role: "write",
        fineGrained: { scoped: [{ entity: { type: "user", name: "alice" }, permissions: ["repo.write"] }] },
      });
      expect(scopedWrite.statusCode).toBe(400);
      await createValue({ displayName: "laptop", role: "read" });
      expect((await create({ displayName: "laptop", role: "write" })).statusCode).toBe(409);
      expect((await create({ displayName: "past", role: "read", expiresAt: "2000-01-01T00:00:00Z" })).statusCode).toBe(
        400,
      );
      for (const expiresIn of ["0d", "soon", "-1h"]) {
        expect((await create({ displayName: "bad", role: "read", expiresIn })).statusCode).toBe(400);
      }
      expect((await create({ displayName: "", role: "read" })).statusCode).toBe(400);
      expect((await create({ displayName: "x", role: "admin" })).statusCode).toBe(400);
    });
  });

  describe("lifecycle", () => {
    it("refreshes: the old value is refused at once, the new one works, same id, name and role", async () => {
      const created = await createValue({ displayName: "ci", role: "read" });
      const refresh = await app.inject({
        method: "POST",
        url: `/api/settings/tokens/${created.id}/refresh`,
        ...session,
      });
      expect(refresh.statusCode).toBe(200);
      const refreshed = refresh.json();
      expect(refreshed).toMatchObject({ id: created.id, displayName: "ci", role: "read" });
      expect(refreshed.token).toMatch(/^hf_[A-Za-z]{34}$/);
      expect(refreshed.token).not.toBe(created.token);
      const old = await whoami(bearer(created.token));
      expect(old.statusCode).toBe(401);
      expect(old.json()).toEqual({ error: INVALID });
      const fresh = await whoami(bearer(refreshed.token));
      expect(fresh.statusCode).toBe(200);
      expect(fresh.json().auth.accessToken).toMatchObject({ displayName: "ci", role: "read" });
      const list = (await app.inject({ url: "/api/settings/tokens", ...session })).json();
      expect(list).toEqual([expect.objectContaining({ id: created.id, hint: `hf_…${refreshed.token.slice(-4)}` })]);
    });

    it("deletes: the value is refused at once", async () => {
      const created = await createValue({ displayName: "ci", role: "write" });
      expect((await whoami(bearer(created.token))).statusCode).toBe(200);
      const remove = await app.inject({ method: "DELETE", url: `/api/settings/tokens/${created.id}`, ...session });
      expect(remove.statusCode).toBe(200);
      expect((await whoami(bearer(created.token))).statusCode).toBe(401);
      const again = await app.inject({ method: "DELETE", url: `/api/settings/tokens/${created.id}`, ...session });
      expect(again.statusCode).toBe(404);
    });

    it("does not let one user refresh, delete or see another's token", async () => {
      const bob = await seedUser(ctx, "bob");
      const bobsToken = await seedToken(ctx, bob, { displayName: "bobs" });
      const [bobs] = await listTokens(ctx.db, bob.id);
      const id = bobs?.id ?? "";
      for (const request of [
        { method: "DELETE" as const, url: `/api/settings/tokens/${id}` },
        { method: "POST" as const, url: `/api/settings/tokens/${id}/refresh` },
      ]) {
        expect((await app.inject({ ...request, ...session })).statusCode).toBe(404);
      }
      expect((await app.inject({ url: "/api/settings/tokens", ...session })).json()).toEqual([]);
      expect((await whoami(bearer(bobsToken))).statusCode).toBe(200);
      const badId = await app.inject({ method: "DELETE", url: "/api/settings/tokens/not-an-id", ...session });
      expect(badId.statusCode).toBe(400);
    });

    it("refuses a token once it has expired", async () => {
      const created = await createValue({ displayName: "short", role: "read", expiresIn: "1h" });
      const listed = (await app.inject({ url: "/api/settings/tokens", ...session })).json();
      const expiresAt = new Date(listed[0].expiresAt).getTime();
      expect(expiresAt).toBeGreaterThan(ctx.now().getTime() + 3_590_000);
      expect((await whoami(bearer(created.token))).statusCode).toBe(200);
      ctx.advance(expiresAt - ctx.now().getTime() + 1000);
      const expired = await whoami(bearer(created.token));
      expect(expired.statusCode).toBe(401);
      expect(expired.headers["x-error-message"]).toBe(INVALID);
    });

    it("records the last use, its address and user agent, at most once a minute", async () => {
      const created = await createValue({ displayName: "ci", role: "read" });
      const use = (ua: string, ip: string) =>
        app.inject({
          url: "/api/whoami-v2",
          headers: { ...bearer(created.token), "user-agent": ua },
          remoteAddress: ip,
        });
      const stored = async () => (await listTokens(ctx.db, alice.id))[0];

      expect((await stored())?.lastUsedAt).toBeUndefined();
      const first = ctx.now().getTime();
      await use("agent/1", "203.0.113.1");
      await vi.waitFor(async () => expect((await stored())?.lastUsedUserAgent).toBe("agent/1"));
      expect(await stored()).toMatchObject({ lastUsedIp: "203.0.113.1" });
      expect((await stored())?.lastUsedAt?.getTime()).toBeGreaterThanOrEqual(first);

      ctx.advance(30_000);
      await use("agent/2", "203.0.113.2");
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await stored()).toMatchObject({ lastUsedUserAgent: "agent/1", lastUsedIp: "203.0.113.1" });

      ctx.advance(31_000);
      await use("agent/3", "203.0.113.3");
      await vi.waitFor(async () => expect((await stored())?.lastUsedUserAgent).toBe("agent/3"));
      expect(await stored()).toMatchObject({ lastUsedIp: "203.0.113.3" });
      const listed = (await app.inject({ url: "/api/settings/tokens", ...session })).json();
      expect(listed[0]).toMatchObject({ lastUsedIp: "203.0.113.3", lastUsedUserAgent: "agent/3" });
      expect(new Date(listed[0].lastUsedAt).getTime()).toBeGreaterThanOrEqual(first + 61_000);
    });

    it("honours a deletion made by another process on the same database at the next request", async () => {
      const created = await createValue({ displayName: "ci", role: "write" });
      const schema =
        dialect === "postgres"
          ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(ctx.db)).rows[0]?.schema
          : undefined;
      const other = await createContext(ctx.config, {
        secrets: ctx.secrets,
        logger: pino({ level: "silent" }),
        ...(schema ? { pgSchema: schema } : {}),
      });
      try {
        const otherApp = await buildApp(other);
        // Both processes accept it, and have looked it up, before the deletion.
        expect((await whoami(bearer(created.token))).statusCode).toBe(200);
        expect((await otherApp.inject({ url: "/api/whoami-v2", headers: bearer(created.token) })).statusCode).toBe(200);
        const remove = await app.inject({ method: "DELETE", url: `/api/settings/tokens/${created.id}`, ...session });
        expect(remove.statusCode).toBe(200);
        const after = await otherApp.inject({ url: "/api/whoami-v2", headers: bearer(created.token) });
        expect(after.statusCode).toBe(401);
        await otherApp.close();
      } finally {
        await other.close();
      }
    });
  });

  describe("Authorization headers", () => {
    it("accepts HTTP Basic with any user name and the token as password", async () => {
      const token = await seedToken(ctx, alice, { role: "read" });
      for (const username of ["alice", "x", "", "__token__"]) {
        const authorization = `Basic ${Buffer.from(`${username}:${token}`).toString("base64")}`;
        const response = await whoami({ authorization });
        expect(response.statusCode, username).toBe(200);
        expect(response.json()).toMatchObject({ name: "alice", auth: { type: "access_token" } });
      }
    });

    it("refuses malformed, unknown and orphaned credentials with 401, never 500", async () => {
      const bob = await seedUser(ctx, "bob");
      const orphan = await seedToken(ctx, bob, { role: "write" });
      await ctx.db.deleteFrom("user").where("id", "=", bob.id).execute();
      const valid = generateTokenValue();
      const badChecksum = `${valid.slice(0, -1)}${valid.endsWith("a") ? "b" : "a"}`;
      const headers = [
        "Basic",
        "Basic ",
        `Basic ${Buffer.from("no-colon-here").toString("base64")}`,
        `Basic ${Buffer.from(`alice:${badChecksum}`).toString("base64")}`,
        "Basic !!!not-base64!!!",
        "Bearer",
        "Bearer junk",
        "Bearer hf_short",
        `Bearer ${badChecksum}`,
        `Bearer ${valid}`,
        `Bearer ${orphan}`,
        `Bearer ${valid} extra`,
        "Token abc",
        "Digest username=alice",
        "",
        "   ",
        `Bearer ${"a".repeat(10_000)}`,
        "Bearer h\u00e9llo",
      ];
      for (const authorization of headers) {
        const response = await whoami({ authorization });
        expect(response.statusCode, JSON.stringify(authorization)).toBe(401);
        expect(response.json(), authorization).toEqual({ error: INVALID });
        expect(response.headers["x-error-code"]).toBeUndefined();
      }
    });

    it("refuses a bad token even beside a valid session cookie", async () => {
      const response = await app.inject({
        url: "/api/settings/tokens",
        headers: bearer(generateTokenValue()),
        cookies: session.cookies,
      });
      expect(response.statusCode).toBe(401);
    });
  });
});
