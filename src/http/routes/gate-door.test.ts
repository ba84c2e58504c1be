import { createHash, randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { bearer, seedRepo, seedToken, seedUser } from "../../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../../test/helpers/test-context.ts";
import type { Repo, User } from "../../domain/entities.ts";
import { grantAccess } from "../../store/access-requests.ts";
import { buildApp } from "../app.ts";

const LFS = { "content-type": "application/vnd.git-lfs+json", accept: "application/vnd.git-lfs+json" };
const weights = randomBytes(50_000);
const weightsOid = createHash("sha256").update(weights).digest("hex");
const ndjson = (...lines: unknown[]) => lines.map((line) => JSON.stringify(line)).join("\n");
const header = { key: "header", value: { summary: "PR" } };
const lfsLine = (path: string, oid: string, size: number) => ({
  key: "lfsFile",
  value: { path, algo: "sha256", oid, size },
});
const fileLine = (path: string, text: string) => ({
  key: "file",
  value: { path, content: Buffer.from(text).toString("base64"), encoding: "base64" },
});

/**
 * Issue 8, item 1: a gated repo has one door. No combination of commit, pull request, preupload, LFS
 * batch or download lets a principal obtain bytes it could not download from `main` through `resolve`.
 */
describe.each(testDialects())("the gate of a gated repo on %s", (dialect) => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let alice: User;
  let bob: User;
  let repo: Repo;
  let aliceToken: string;
  let bobToken: string;

  const commit = (token: string, body: string, query = "?create_pr=1") =>
    app.inject({
      method: "POST",
      url: `/api/models/alice/gated/commit/main${query}`,
      headers: { "content-type": "application/x-ndjson", ...bearer(token) },
      payload: body,
    });
  const resolve = (token: string, revision: string, path: string) =>
    app.inject({ url: `/alice/gated/resolve/${encodeURIComponent(revision)}/${path}`, headers: bearer(token) });
  const batch = (token: string, operation: string, objects: { oid: string; size: number }[]) =>
    app.inject({
      method: "POST",
      url: "/alice/gated.git/info/lfs/objects/batch",
      headers: { ...LFS, ...bearer(token) },
      payload: { operation, transfers: ["basic"], objects },
    });

  async function upload(token: string, bytes: Buffer): Promise<string> {
    const oid = createHash("sha256").update(bytes).digest("hex");
    const answer = (await batch(token, "upload", [{ oid, size: bytes.length }])).json().objects[0];
    const href = answer.actions?.upload?.href as string | undefined;
    expect(href, "an upload action").toBeDefined();
    const url = new URL(href ?? "");
    expect((await app.inject({ method: "PUT", url: url.pathname + url.search, payload: bytes })).statusCode).toBe(200);
    return oid;
  }

  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    app = await buildApp(ctx);
    alice = await seedUser(ctx, "alice");
    bob = await seedUser(ctx, "bob");
    repo = await seedRepo(ctx, alice, "alice/gated", { gated: "manual" });
    aliceToken = await seedToken(ctx, alice);
    bobToken = await seedToken(ctx, bob);
    await upload(aliceToken, weights);
    const seeded = await commit(
      aliceToken,
      ndjson(
        header,
        lfsLine("weights.bin", weightsOid, weights.length),
        fileLine("README.md", "# A gated model\n"),
        fileLine(".gitattributes", "*.bin filter=lfs diff=lfs merge=lfs -text\n*.secret filter=lfs -text\n"),
        fileLine(".gitignore", "hidden/\n"),
      ),
      "",
    );
    expect(seeded.statusCode).toBe(200);
  });
  afterEach(async () => {
    await app.close();
    await ctx.dispose();
  });

  it("refuses a stranger's pull request that points README.md at the weights' oid", async () => {
    // The tree listing is public on a gated repo, oids included: that is where the attack starts.
    const tree = (await app.inject({ url: "/api/models/alice/gated/tree/main", headers: bearer(bobToken) })).json();
    const listed = tree.find((entry: { path: string }) => entry.path === "weights.bin");
    expect(listed.lfs.oid).toBe(weightsOid);

    const response = await commit(bobToken, ndjson(header, lfsLine("README.md", weightsOid, weights.length)));
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatch(/was not uploaded to this repo by you/);
    expect((await resolve(bobToken, "refs/pr/1", "README.md")).statusCode).toBe(404);
    expect((await resolve(bobToken, "main", "weights.bin")).statusCode).toBe(403);
  });

  it("never serves an LFS README.md through the card's exemption, whoever committed it", async () => {
    const pointer = await commit(aliceToken, ndjson(header, lfsLine("README.md", weightsOid, weights.length)), "");
    expect(pointer.statusCode).toBe(200);
    const refused = await resolve(bobToken, "main", "README.md");
    expect(refused.statusCode).toBe(403);
    expect(refused.headers["x-error-code"]).toBe("GatedRepo");
    expect((await app.inject({ url: "/alice/gated/raw/main/README.md", headers: bearer(bobToken) })).statusCode).toBe(
      403,
    );
    expect((await resolve(aliceToken, "main", "README.md")).rawPayload.equals(weights)).toBe(true);
  });

  it("lets a stranger reference an object only after uploading its bytes, and serves it to them only through the gate", async () => {
    // "Already stored" is never said to someone who cannot read: they get an upload action like anyone.
    const answer = (await batch(bobToken, "upload", [{ oid: weightsOid, size: weights.length }])).json().objects[0];
    expect(answer.actions?.upload?.href).toBeDefined();
    await upload(bobToken, weights);
    const response = await commit(bobToken, ndjson(header, lfsLine("copy.bin", weightsOid, weights.length)));
    expect(response.statusCode).toBe(200);
    expect(response.json().pullRequestUrl).toMatch(/\/discussions\/1$/);
    // The PR's files sit behind the gate like main's: only the card is exempt.
    expect((await resolve(bobToken, "refs/pr/1", "copy.bin")).statusCode).toBe(403);
    expect((await resolve(bobToken, "refs/pr/1", "README.md")).statusCode).toBe(200);
  });

  it("lets a stranger with an accepted request reference what they may read", async () => {
    await grantAccess(ctx.db, repo.id, bob.id, ctx.now());
    const response = await commit(bobToken, ndjson(header, lfsLine("copy.bin", weightsOid, weights.length)));
    expect(response.statusCode).toBe(200);
    expect((await resolve(bobToken, "refs/pr/1", "copy.bin")).rawPayload.equals(weights)).toBe(true);
  });

  it("does not tell a stranger's preupload the repo's .gitattributes or .gitignore rules", async () => {
    const files = [
      { path: "notes.secret", size: 10, sample: Buffer.from("plain text").toString("base64") },
      { path: "hidden/a.txt", size: 10, sample: Buffer.from("plain text").toString("base64") },
    ];
    const ask = (token: string) =>
      app.inject({
        method: "POST",
        url: "/api/models/alice/gated/preupload/main?create_pr=1",
        headers: bearer(token),
        payload: { files },
      });
    const owner = (await ask(aliceToken)).json().files;
    expect(owner.map((f: { uploadMode: string }) => f.uploadMode)).toEqual(["lfs", "regular"]);
    expect(owner.map((f: { shouldIgnore: boolean }) => f.shouldIgnore)).toEqual([false, true]);
    const stranger = (await ask(bobToken)).json().files;
    expect(stranger.map((f: { uploadMode: string }) => f.uploadMode)).toEqual(["regular", "regular"]);
    expect(stranger.map((f: { shouldIgnore: boolean }) => f.shouldIgnore)).toEqual([false, false]);
  });

  it("refuses git push to a token that may write but not read the gated content", async () => {
    const writeOnly = await seedToken(ctx, alice, {
      role: "fineGrained",
      scoped: [{ entity: { type: "model", name: "alice/gated" }, permissions: ["repo.write"] }],
    });
    const push = await app.inject({
      url: "/alice/gated.git/info/refs?service=git-receive-pack",
      headers: bearer(writeOnly),
    });
    expect(push.statusCode).toBe(403);
    expect(push.headers["x-error-code"]).toBe("GatedRepo");
    const owner = await app.inject({
      url: "/alice/gated.git/info/refs?service=git-receive-pack",
      headers: bearer(aliceToken),
    });
    expect(owner.statusCode).toBe(200);
  });
});
