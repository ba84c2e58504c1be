import { createHash, randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { bearer, seedOrg, seedRepo, seedToken, seedUser, TEST_PASSWORD } from "../../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../../test/helpers/test-context.ts";
import { SESSION_COOKIE } from "../../auth/authenticate.ts";
import { signIn } from "../../auth/sign-in.ts";
import { createToken, refreshToken, revokeToken } from "../../auth/token-service.ts";
import type { Org, Repo, User } from "../../domain/entities.ts";
import { findRepoLfsObject } from "../../store/lfs-objects.ts";
import { removeMember, setMember } from "../../store/orgs.ts";
import { updateRepoSettings } from "../../store/repos.ts";
import { buildApp } from "../app.ts";
import { CSRF_HEADER } from "../auth-hook.ts";

const LFS = { "content-type": "application/vnd.git-lfs+json", accept: "application/vnd.git-lfs+json" };
const bytes = randomBytes(10_000);
const oid = createHash("sha256").update(bytes).digest("hex");

/**
 * Issue 8, item 5: a signed LFS link is a capability used without a credential, so it must die with
 * the credential that obtained it and with that credential's access, on its next use.
 */
describe.each(testDialects())("signed LFS links on %s", (dialect) => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let alice: User;
  let bob: User;
  let acme: Org;
  let repo: Repo;

  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    app = await buildApp(ctx);
    alice = await seedUser(ctx, "alice");
    bob = await seedUser(ctx, "bob");
    acme = await seedOrg(ctx, "acme", alice, { bob: [bob, "read"] });
    repo = await seedRepo(ctx, alice, "acme/weights", { private: true });
    await store(await seedToken(ctx, alice));
  });
  afterEach(async () => {
    await app.close();
    await ctx.dispose();
  });

  function batch(operation: "upload" | "download", headers: Record<string, string>, object = { oid, size: 10_000 }) {
    return app.inject({
      method: "POST",
      url: "/acme/weights.git/info/lfs/objects/batch",
      headers: { ...LFS, ...headers },
      payload: { operation, transfers: ["basic"], objects: [object] },
    });
  }

  async function href(
    operation: "upload" | "download",
    headers: Record<string, string>,
    object = { oid, size: 10_000 },
  ) {
    const response = await batch(operation, headers, object);
    expect(response.statusCode).toBe(200);
    const url = response.json().objects[0].actions?.[operation]?.href as string;
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  }

  async function store(token: string): Promise<void> {
    const put = await app.inject({ method: "PUT", url: await href("upload", bearer(token)), payload: bytes });
    expect(put.statusCode).toBe(200);
  }

  const get = (url: string) => app.inject({ url });

  it("works while its token lives, and stops once the token is deleted", async () => {
    const { token, value } = await createToken(ctx, bob, { displayName: "laptop", role: "read" });
    const link = await href("download", bearer(value));
    expect((await get(link)).rawPayload.equals(bytes)).toBe(true);
    await revokeToken(ctx, bob.id, token.id);
    const refused = await get(link);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatch(/^This LFS link is invalid, has expired, or no longer carries access/);
  });

  it("stops once its token is refreshed; the new value's links work", async () => {
    const { token, value } = await createToken(ctx, bob, { displayName: "ci", role: "read" });
    const link = await href("download", bearer(value));
    const { value: fresh } = await refreshToken(ctx, bob.id, token.id);
    expect((await get(link)).statusCode).toBe(403);
    expect((await get(await href("download", bearer(fresh)))).statusCode).toBe(200);
  });

  it("stops once its user leaves the org, and follows a role change", async () => {
    const link = await href("download", bearer(await seedToken(ctx, bob, { role: "read" })));
    expect((await get(link)).statusCode).toBe(200);
    await removeMember(ctx.db, acme.id, bob.id);
    expect((await get(link)).statusCode).toBe(403);
    await setMember(ctx.db, acme.id, bob.id, "read", ctx.now());
    expect((await get(link)).statusCode).toBe(200);
  });

  it("stops once an anonymous link's repo turns private", async () => {
    await updateRepoSettings(ctx.db, repo.id, { private: false }, ctx.now());
    const link = await href("download", {});
    expect((await get(link)).statusCode).toBe(200);
    await updateRepoSettings(ctx.db, repo.id, { private: true }, ctx.now());
    expect((await get(link)).statusCode).toBe(403);
  });

  it("stops once its web session signs out", async () => {
    const session = await signIn(ctx, "bob", TEST_PASSWORD, "127.0.0.1");
    const cookie = { cookie: `${SESSION_COOKIE}=${session.cookie}`, [CSRF_HEADER]: session.csrfToken };
    const link = await href("download", cookie);
    expect((await get(link)).statusCode).toBe(200);
    await app.inject({ method: "POST", url: "/api/auth/logout", headers: cookie });
    expect((await get(link)).statusCode).toBe(403);
  });

  it("refuses an upload through a link whose token was deleted, and keeps nothing", async () => {
    const other = randomBytes(5000);
    const otherOid = createHash("sha256").update(other).digest("hex");
    const { token, value } = await createToken(ctx, alice, { displayName: "upload", role: "write" });
    const link = await href("upload", bearer(value), { oid: otherOid, size: other.length });
    await revokeToken(ctx, alice.id, token.id);
    const put = await app.inject({ method: "PUT", url: link, payload: other });
    expect(put.statusCode).toBe(403);
    expect(await findRepoLfsObject(ctx.db, repo.id, otherOid)).toBeUndefined();
    expect(await ctx.lfs.sizeOf(otherOid)).toBeUndefined();
  });

  it("refuses a link whose credential reference was swapped for another one", async () => {
    const bobs = await seedToken(ctx, bob, { role: "read" });
    const link = await href("download", bearer(bobs));
    const { token } = await createToken(ctx, alice, { displayName: "other", role: "write" });
    expect((await get(link.replace(/cred=[^&]+/, `cred=t.${token.id}`))).statusCode).toBe(403);
    expect((await get(link.replace(/cred=[^&]+/, "cred=a"))).statusCode).toBe(403);
    expect((await get(link.replace(/cred=[^&]+/, "cred=junk"))).statusCode).toBe(403);
  });
});
