import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { bearer, seedRepo, seedToken, seedUser } from "../../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../../test/helpers/test-context.ts";
import type { Repo, User } from "../../domain/entities.ts";
import { gitOrThrow } from "../../git/git-command.ts";
import { linkLfsObject } from "../../store/lfs-objects.ts";
import { findRepo } from "../../store/repos.ts";
import { buildApp } from "../app.ts";

const ndjson = (...lines: unknown[]) => lines.map((line) => JSON.stringify(line)).join("\n");
const header = (value: Record<string, unknown> = {}) => ({ key: "header", value: { summary: "Upload", ...value } });
const fileLine = (path: string, text: string) => ({
  key: "file",
  value: { path, content: Buffer.from(text).toString("base64"), encoding: "base64" },
});

describe.each(testDialects())("POST …/commit/{rev} on %s", (dialect) => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let alice: User;
  let bob: User;
  let repo: Repo;
  let aliceWrite: string;

  const git = async (...args: string[]) =>
    (await gitOrThrow(args, { cwd: ctx.storage.pathOf(repo.type, repo.id) })).toString("utf8");

  function post(token: string | undefined, body: string, url = "/api/models/alice/model/commit/main") {
    return app.inject({
      method: "POST",
      url,
      headers: { "content-type": "application/x-ndjson", ...(token ? bearer(token) : {}) },
      payload: body,
    });
  }

  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    app = await buildApp(ctx);
    alice = await seedUser(ctx, "alice");
    bob = await seedUser(ctx, "bob");
    repo = await seedRepo(ctx, alice, "alice/model");
    aliceWrite = await seedToken(ctx, alice, { role: "write" });
  });
  afterEach(async () => {
    await app.close();
    await ctx.dispose();
  });

  it("commits files, LFS pointers and deletions and answers the Hub's shape", async () => {
    const oid = createHash("sha256").update("weights").digest("hex");
    await linkLfsObject(ctx.db, repo.id, oid, 7, ctx.now());
    ctx.advance(60_000);
    const response = await post(
      aliceWrite,
      ndjson(
        header({ description: "" }),
        fileLine("README.md", "# hi"),
        { key: "lfsFile", value: { path: "model.bin", algo: "sha256", oid, size: 7 } },
        { key: "deletedFile", value: { path: ".gitattributes" } },
      ),
    );
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toEqual({
      success: true,
      commitOid: expect.stringMatching(/^[0-9a-f]{40}$/),
      commitUrl: `http://hub.test/alice/model/commit/${body.commitOid}`,
      hookOutput: "",
    });
    expect((await git("rev-parse", "main")).trim()).toBe(body.commitOid);
    expect(await git("show", "main:README.md")).toBe("# hi");
    expect(await git("show", "main:model.bin")).toContain(`oid sha256:${oid}`);
    // The deleted .gitattributes comes back with a line for the new pointer.
    expect(await git("show", "main:.gitattributes")).toBe("model.bin filter=lfs diff=lfs merge=lfs -text\n");
    const after = await findRepo(ctx.db, "model", "alice", "model");
    expect(after?.lastModified.getTime()).toBeGreaterThan(repo.lastModified.getTime());
  });

  it("accepts the JSON object form and deletedFolder with a trailing slash", async () => {
    await post(aliceWrite, ndjson(header(), fileLine("dir/a.txt", "a"), fileLine("dir/b.txt", "b")));
    const response = await app.inject({
      method: "POST",
      url: "/api/models/alice/model/commit/main",
      headers: bearer(aliceWrite),
      payload: { summary: "json", files: [{ path: "c.txt", content: "Yw==", encoding: "base64" }] },
    });
    expect(response.statusCode).toBe(200);
    const deleted = await post(aliceWrite, ndjson(header(), { key: "deletedFolder", value: { path: "dir/" } }));
    expect(deleted.statusCode).toBe(200);
    expect(await git("ls-tree", "-r", "--name-only", "main")).toBe(".gitattributes\nc.txt\n");
  });

  it("answers 412 with the Hub's message for a stale parentCommit", async () => {
    const parent = (await git("rev-parse", "main")).trim();
    expect((await post(aliceWrite, ndjson(header({ parentCommit: parent }), fileLine("a", "1")))).statusCode).toBe(200);
    const stale = await post(aliceWrite, ndjson(header({ parentCommit: parent }), fileLine("a", "2")));
    expect(stale.statusCode).toBe(412);
    expect(stale.json().error).toBe("A commit has happened since. Please refresh and try again.");
  });

  it.each([
    "..\\ddd",
    "../x",
    "/abs",
    ".git/config",
    ".git.",
    ".gIt ",
    ".git~1/x",
    "GIT~1/config",
    ".git::$INDEX_ALLOCATION/config",
    ".g\u200cit/config",
    "sub/.GIT/hooks/post-checkout",
  ])("refuses the path %j with 422 and writes nothing", async (bad) => {
    const before = await git("for-each-ref");
    const response = await post(aliceWrite, ndjson(header(), fileLine("ok.txt", "fine"), fileLine(bad, "x")));
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatch(/^Invalid path ".*": Path (has|contains|is) /);
    expect(await git("for-each-ref")).toBe(before);
  });

  it("refuses bad bodies with 400 and a missing branch with 404 RevisionNotFound", async () => {
    expect((await post(aliceWrite, ndjson(header()))).statusCode).toBe(400);
    expect((await post(aliceWrite, ndjson(fileLine("a", "1")))).statusCode).toBe(400);
    expect((await post(aliceWrite, "{not json")).statusCode).toBe(400);
    expect((await post(aliceWrite, ndjson(header(), { key: "file", value: { path: "a" } }))).statusCode).toBe(400);
    const missing = await post(aliceWrite, ndjson(header(), fileLine("a", "1")), "/api/models/alice/model/commit/nope");
    expect(missing.statusCode).toBe(404);
    expect(missing.headers["x-error-code"]).toBe("RevisionNotFound");
  });

  it("refuses an LFS oid that was never uploaded to this repo", async () => {
    const oid = "a".repeat(64);
    const response = await post(
      aliceWrite,
      ndjson(header(), { key: "lfsFile", value: { path: "x.bin", oid, size: 1 } }),
    );
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toContain("x.bin");
  });

  it("refuses a read token (403), a fine-grained token without repo.write (403 naming it), strangers (403)", async () => {
    const read = await seedToken(ctx, alice, { role: "read" });
    const denied = await post(read, ndjson(header(), fileLine("a", "1")));
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error).toContain("read role");

    const fineGrained = await seedToken(ctx, alice, {
      role: "fineGrained",
      scoped: [{ entity: { type: "model", name: "alice/model" }, permissions: ["repo.content.read"] }],
    });
    const lacking = await post(fineGrained, ndjson(header(), fileLine("a", "1")));
    expect(lacking.statusCode).toBe(403);
    expect(lacking.json().error).toBe("This token lacks repo.write on alice/model");

    const stranger = await post(await seedToken(ctx, bob), ndjson(header(), fileLine("a", "1")));
    expect(stranger.statusCode).toBe(403);
    expect((await post(undefined, ndjson(header(), fileLine("a", "1")))).statusCode).toBe(401);
    const privateRepo = await seedRepo(ctx, alice, "alice/secret", { private: true });
    const hidden = await post(
      await seedToken(ctx, bob),
      ndjson(header(), fileLine("a", "1")),
      `/api/models/${privateRepo.namespace}/${privateRepo.name}/commit/main`,
    );
    expect(hidden.statusCode).toBe(404);
    expect(hidden.headers["x-error-code"]).toBe("RepoNotFound");
  });

  it("lets a user with read access open a pull request, which lands on refs/pr/N", async () => {
    const bobWrite = await seedToken(ctx, bob, { role: "write" });
    const main = (await git("rev-parse", "main")).trim();
    const response = await post(
      bobWrite,
      ndjson(header(), fileLine("pr.txt", "hi")),
      "/api/models/alice/model/commit/main?create_pr=1",
    );
    expect(response.statusCode).toBe(200);
    expect(response.json().pullRequestUrl).toBe("http://hub.test/alice/model/discussions/1");
    expect((await git("rev-parse", "refs/pr/1")).trim()).toBe(response.json().commitOid);
    expect((await git("rev-parse", "main")).trim()).toBe(main);
    // Further commits to the PR append to it (revision encoded as the clients send it).
    const more = await post(
      aliceWrite,
      ndjson(header(), fileLine("more.txt", "m")),
      "/api/models/alice/model/commit/refs%2Fpr%2F1",
    );
    expect(more.statusCode).toBe(200);
    expect((await git("rev-parse", "refs/pr/1^")).trim()).toBe(response.json().commitOid);
  });

  it("needs discussion.write from a fine-grained token and refuses a read token for a pull request", async () => {
    const url = "/api/models/alice/model/commit/main?create_pr=1";
    const read = await seedToken(ctx, bob, { role: "read" });
    expect((await post(read, ndjson(header(), fileLine("a", "1")), url)).statusCode).toBe(403);
    const without = await seedToken(ctx, bob, {
      role: "fineGrained",
      scoped: [{ entity: { type: "user", name: "bob" }, permissions: ["repo.write"] }],
    });
    const lacking = await post(without, ndjson(header(), fileLine("a", "1")), url);
    expect(lacking.statusCode).toBe(403);
    expect(lacking.json().error).toBe("This token lacks discussion.write on alice/model");
    const global = await seedToken(ctx, bob, { role: "fineGrained", global: ["discussion.write"] });
    expect((await post(global, ndjson(header(), fileLine("a", "1")), url)).statusCode).toBe(200);
    const scoped = await seedToken(ctx, bob, {
      role: "fineGrained",
      scoped: [{ entity: { type: "model", name: "alice/model" }, permissions: ["discussion.write"] }],
    });
    const ok = await post(scoped, ndjson(header(), fileLine("b", "2")), url);
    expect(ok.statusCode).toBe(200);
    expect(ok.json().pullRequestUrl).toMatch(/\/discussions\/2$/);
  });

  it("answers create_pr against a commit id with RevisionNotFound", async () => {
    const main = (await git("rev-parse", "main")).trim();
    const response = await post(
      aliceWrite,
      ndjson(header(), fileLine("a", "1")),
      `/api/models/alice/model/commit/${main}?create_pr=1`,
    );
    expect(response.statusCode).toBe(404);
    expect(response.headers["x-error-code"]).toBe("RevisionNotFound");
  });
});

describe("POST /api/validate-yaml", () => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await makeTestContext("sqlite");
  });
  afterEach(async () => ctx.dispose());

  it("accepts a card, warns on a card without metadata, refuses a model-index that is not a list", async () => {
    const app = await buildApp(ctx);
    const validate = (content: string) =>
      app.inject({ method: "POST", url: "/api/validate-yaml", payload: { content, repoType: "model" } });
    const good = await validate("---\nlicense: mit\ntags:\n- a\nmodel-index:\n- name: x\n---\n# Card");
    expect(good.statusCode).toBe(200);
    expect(good.json()).toEqual({ errors: [], warnings: [] });
    const bare = await validate("# Just a title");
    expect(bare.statusCode).toBe(200);
    expect(bare.json().warnings).toHaveLength(1);
    const bad = await validate("---\nmodel-index: foo\n---\n");
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].message).toContain("model-index");
    expect((await validate("---\nlicense: mit\n")).statusCode).toBe(400);
    expect((await app.inject({ method: "POST", url: "/api/validate-yaml", payload: {} })).statusCode).toBe(400);
    await app.close();
  });
});
