import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../test/helpers/databases.ts";
import { bearer, seedOrg, seedRepo, seedUser } from "../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../test/helpers/test-context.ts";
import type { Context } from "../context.ts";
import type { Org, Repo, User } from "../domain/entities.ts";
import { buildApp } from "../http/app.ts";
import { grantAccess } from "../store/access-requests.ts";
import type { ChangeEvent } from "../store/change-feed.ts";
import { removeMember, setMember } from "../store/orgs.ts";
import { moveRepoRow, updateRepoSettings } from "../store/repos.ts";
import { createToken, refreshToken, revokeToken } from "./token-service.ts";

/**
 * Issue 14: tokens and repo lookups are answered from memory, and every change made through another
 * process (here a second context on the same database, as a second server or the CLI would open)
 * reaches this one by the database's own announcements, in time for the very next request.
 */
describe.each(testDialects())("answers from memory, dropped by changes from anywhere, on %s", (dialect) => {
  let ctx: TestContext;
  let other: Context;
  let app: FastifyInstance;
  let alice: User;
  let bob: User;
  let acme: Org;
  let repo: Repo;
  let bobToken: { id: string; value: string };

  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    app = await buildApp(ctx);
    other = await ctx.sibling();
    alice = await seedUser(ctx, "alice");
    bob = await seedUser(ctx, "bob");
    acme = await seedOrg(ctx, "acme", alice, { bob: [bob, "read"] });
    repo = await seedRepo(ctx, alice, "acme/weights", { private: true });
    const created = await createToken(ctx, bob, { displayName: "laptop", role: "read" });
    bobToken = { id: created.token.id, value: created.value };
  });
  afterEach(async () => {
    await app.close();
    await ctx.dispose();
  });

  const info = (token?: string, id = "acme/weights") =>
    app.inject({ url: `/api/models/${id}`, headers: token ? bearer(token) : {} });

  /** Primes the caches: the same request twice, so the second is answered from memory. */
  async function twice(request: () => ReturnType<typeof info>, status: number): Promise<void> {
    expect((await request()).statusCode).toBe(status);
    expect((await request()).statusCode).toBe(status);
  }

  it("keeps what it looked up", async () => {
    await twice(() => info(bobToken.value), 200);
    expect(ctx.caches.sizes.tokens).toBe(1);
    expect(ctx.caches.sizes.repos).toBe(1);
  });

  it("refuses a token deleted or refreshed elsewhere on its next request", async () => {
    await twice(() => info(bobToken.value), 200);
    const { value } = await refreshToken(other, bob.id, bobToken.id);
    expect((await info(bobToken.value)).statusCode).toBe(401);
    await twice(() => info(value), 200);
    await revokeToken(other, bob.id, bobToken.id);
    expect((await info(value)).statusCode).toBe(401);
  });

  it("follows org membership changed elsewhere", async () => {
    await twice(() => info(bobToken.value), 200);
    await removeMember(other.db, acme.id, bob.id);
    expect((await info(bobToken.value)).statusCode).toBe(404);
    await setMember(other.db, acme.id, bob.id, "read", other.now());
    expect((await info(bobToken.value)).statusCode).toBe(200);
  });

  it("follows visibility, gating and access granted elsewhere", async () => {
    await updateRepoSettings(other.db, repo.id, { private: false, gated: "manual" }, other.now());
    await twice(() => info(), 200);
    const stranger = await createToken(ctx, await seedUser(ctx, "carol"), { displayName: "t", role: "read" });
    const file = () =>
      app.inject({ url: "/acme/weights/resolve/main/.gitattributes", headers: bearer(stranger.value) });
    await twice(file, 403);
    await grantAccess(other.db, repo.id, stranger.token.userId, other.now());
    expect((await file()).statusCode).toBe(200);
    await updateRepoSettings(other.db, repo.id, { private: true }, other.now());
    expect((await info()).statusCode).toBe(401);
  });

  it("follows a move elsewhere, and a new repo taking the old name", async () => {
    await twice(() => info(bobToken.value, "acme/renamed"), 404);
    await twice(() => info(bobToken.value), 200);
    await moveRepoRow(other.db, repo, { id: acme.id, name: "acme", kind: "org" }, "renamed", other.now());
    expect((await info(bobToken.value)).statusCode).toBe(307);
    expect((await info(bobToken.value, "acme/renamed")).statusCode).toBe(200);
    await seedRepo(other as TestContext, alice, "acme/weights");
    expect((await info(undefined, "acme/weights")).statusCode).toBe(200);
  });

  it("announces every change it watches, with the rows it concerns", async () => {
    const seen: ChangeEvent[] = [];
    ctx.changes.subscribe({ change: (event) => seen.push(event), reset: () => undefined });
    await updateRepoSettings(other.db, repo.id, { gated: "auto" }, other.now());
    await setMember(other.db, acme.id, bob.id, "write", other.now());
    await revokeToken(other, bob.id, bobToken.id);
    // Another process's changes reach this one as it serves its next request.
    await info();
    expect(seen).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ topic: "repo", ref1: repo.id, ref2: "model/acme/weights" }),
        expect.objectContaining({ topic: "member", ref1: acme.id, ref2: bob.id }),
        expect.objectContaining({ topic: "token", ref1: bobToken.id, ref2: bob.id }),
      ]),
    );
  });
});

describe("the hot path on sqlite", () => {
  it("runs no statement for a token and a repo it has seen, nor for a name it knows leads nowhere", async () => {
    const statements: string[] = [];
    const ctx = await makeTestContext("sqlite", {}, { trace: (sql) => statements.push(sql) });
    const app = await buildApp(ctx);
    try {
      const alice = await seedUser(ctx, "alice");
      await seedRepo(ctx, alice, "alice/model");
      const { value } = await createToken(ctx, alice, { displayName: "t", role: "write" });
      for (const url of [
        "/api/models/alice/model",
        "/api/models/alice/missing",
        "/alice/model/resolve/main/.gitattributes",
      ]) {
        await app.inject({ url, method: "HEAD", headers: bearer(value) });
        await ctx.tokenUses.flush();
        statements.length = 0;
        const again = await app.inject({ url, method: "HEAD", headers: bearer(value) });
        expect(again.statusCode, url).toBeLessThan(500);
        // What remains is the change feed's probe: one statement, no table read.
        expect(
          statements.filter((sql) => !/change_event/.test(sql)),
          url,
        ).toEqual([]);
      }
    } finally {
      await app.close();
      await ctx.dispose();
    }
  });
});
