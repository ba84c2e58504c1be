import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { bearer, seedRepo, seedToken, seedUser } from "../../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../../test/helpers/test-context.ts";
import type { Repo, User } from "../../domain/entities.ts";
import { writeCommit } from "../../git/commit-writer.ts";
import { gitOrThrow } from "../../git/git-command.ts";
import { linkLfsObject } from "../../store/lfs-objects.ts";
import { buildApp } from "../app.ts";

const sample = (bytes: Buffer | string) => Buffer.from(bytes).subarray(0, 512).toString("base64");
const gitBlobId = (content: Buffer) =>
  createHash("sha1")
    .update(Buffer.concat([Buffer.from(`blob ${content.length}\0`), content]))
    .digest("hex");

describe.each(testDialects())("POST …/preupload/{rev} on %s", (dialect) => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let alice: User;
  let repo: Repo;
  let token: string;

  function preupload(body: unknown, options: { token?: string | undefined; url?: string } = {}) {
    return app.inject({
      method: "POST",
      url: options.url ?? "/api/models/alice/model/preupload/main",
      headers: bearer(options.token ?? token),
      payload: body as Record<string, unknown>,
    });
  }

  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    app = await buildApp(ctx);
    alice = await seedUser(ctx, "alice");
    repo = await seedRepo(ctx, alice, "alice/model");
    token = await seedToken(ctx, alice, { role: "write" });
  });
  afterEach(async () => {
    await app.close();
    await ctx.dispose();
  });

  it("chooses lfs by pattern, size and binary sample, and regular otherwise", async () => {
    const response = await preupload({
      files: [
        { path: "model.safetensors", size: 100, sample: sample("text") },
        { path: "saved_model/variables/v", size: 100, sample: sample("text") },
        { path: "big.txt", size: 10_000_000, sample: sample("text") },
        { path: "nine-mib.txt", size: 9 * 1024 * 1024, sample: sample("text") },
        { path: "blob", size: 4_000_000, sample: sample(Buffer.from([1, 2, 0, 3])) },
        { path: "config.json", size: 20, sample: sample("{}") },
        { path: "empty.bin", size: 0, sample: "" },
      ],
    });
    expect(response.statusCode).toBe(200);
    const modes = Object.fromEntries(
      response.json().files.map((f: { path: string; uploadMode: string }) => [f.path, f.uploadMode]),
    );
    expect(modes).toEqual({
      "model.safetensors": "lfs",
      "saved_model/variables/v": "lfs",
      "big.txt": "lfs",
      "nine-mib.txt": "regular",
      blob: "lfs",
      "config.json": "regular",
      "empty.bin": "regular",
    });
    expect(response.json().commitOid).toBe(await ctx.storage.resolveRevision("model", repo.id, "main"));
    for (const file of response.json().files) expect(file.shouldIgnore).toBe(false);
  });

  it("prefers the request's gitAttributes and gitIgnore over the revision's", async () => {
    await writeCommit(ctx, repo, {
      target: { type: "ref", ref: "refs/heads/main" },
      operations: [{ type: "file", path: ".gitignore", content: Buffer.from("nested/*\n*.log\n") }],
      summary: "ignore",
      description: "",
      author: alice,
      lfsReferences: "readable",
    });
    const files = [
      { path: "nested/a.txt", size: 1, sample: sample("a") },
      { path: "run.log", size: 1, sample: sample("a") },
      { path: "weights.bin", size: 1, sample: sample("a") },
      { path: "data.csv", size: 1, sample: sample("a") },
    ];
    const fromRevision = (await preupload({ files })).json().files;
    expect(fromRevision.map((f: { shouldIgnore: boolean }) => f.shouldIgnore)).toEqual([true, true, false, false]);
    expect(fromRevision.map((f: { uploadMode: string }) => f.uploadMode)).toEqual([
      "regular",
      "regular",
      "lfs",
      "regular",
    ]);

    const fromRequest = (await preupload({ files, gitAttributes: "*.csv filter=lfs\n", gitIgnore: "" })).json().files;
    expect(fromRequest.map((f: { shouldIgnore: boolean }) => f.shouldIgnore)).toEqual([false, false, false, false]);
    expect(fromRequest.map((f: { uploadMode: string }) => f.uploadMode)).toEqual([
      "regular",
      "regular",
      "regular",
      "lfs",
    ]);
  });

  it("gives the exact oid of the file already there: blob SHA-1 for regular, SHA-256 for LFS", async () => {
    const text = Buffer.from("hello world\n");
    const oid = createHash("sha256").update("weights").digest("hex");
    await linkLfsObject(ctx.db, repo.id, oid, 7, ctx.now());
    await writeCommit(ctx, repo, {
      target: { type: "ref", ref: "refs/heads/main" },
      operations: [
        { type: "file", path: "dir/hello.txt", content: text },
        { type: "lfsFile", path: "model.bin", oid, size: 7 },
      ],
      summary: "seed",
      description: "",
      author: alice,
      lfsReferences: "readable",
    });
    const response = await preupload({
      files: [
        { path: "dir/hello.txt", size: text.length, sample: sample(text) },
        { path: "model.bin", size: 7, sample: sample("weights") },
        { path: "new.txt", size: 1, sample: sample("n") },
        { path: "dir", size: 1, sample: sample("n") },
      ],
    });
    const byPath = Object.fromEntries(response.json().files.map((f: { path: string }) => [f.path, f]));
    expect(byPath["dir/hello.txt"].oid).toBe(gitBlobId(text));
    const blob = (await gitOrThrow(["rev-parse", "main:dir/hello.txt"], { cwd: ctx.storage.pathOf("model", repo.id) }))
      .toString("utf8")
      .trim();
    expect(byPath["dir/hello.txt"].oid).toBe(blob);
    expect(byPath["model.bin"].oid).toBe(oid);
    expect(byPath["new.txt"]).not.toHaveProperty("oid");
    expect(byPath.dir).not.toHaveProperty("oid");
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
    ".g\u200cit/config",
  ])("refuses the path %j with 422", async (bad) => {
    const files = [
      { path: "ok.txt", size: 1, sample: "" },
      { path: bad, size: 1, sample: "" },
    ];
    const response = await preupload({ files });
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatch(/^Invalid path ".*": Path (has|contains|is) /);
  });

  it("checks access: read token 403, fine-grained without repo.write 403 naming it, create_pr with read access", async () => {
    const files = [{ path: "a.txt", size: 1, sample: sample("a") }];
    const read = await seedToken(ctx, alice, { role: "read" });
    expect((await preupload({ files }, { token: read })).statusCode).toBe(403);
    const fineGrained = await seedToken(ctx, alice, {
      role: "fineGrained",
      scoped: [{ entity: { type: "model", name: "alice/model" }, permissions: ["repo.content.read"] }],
    });
    const lacking = await preupload({ files }, { token: fineGrained });
    expect(lacking.statusCode).toBe(403);
    expect(lacking.json().error).toBe("This token lacks repo.write on alice/model");

    const bob = await seedUser(ctx, "bob");
    const bobWrite = await seedToken(ctx, bob, { role: "write" });
    expect((await preupload({ files }, { token: bobWrite })).statusCode).toBe(403);
    const pr = await preupload(
      { files },
      { token: bobWrite, url: "/api/models/alice/model/preupload/main?create_pr=1" },
    );
    expect(pr.statusCode).toBe(200);

    const missing = await preupload({ files }, { url: "/api/models/alice/nope/preupload/main" });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers["x-error-code"]).toBe("RepoNotFound");
    const noRevision = await preupload({ files }, { url: "/api/models/alice/model/preupload/nope" });
    expect(noRevision.statusCode).toBe(404);
    expect(noRevision.headers["x-error-code"]).toBe("RevisionNotFound");
    expect((await preupload({ files: "nope" })).statusCode).toBe(400);
  });
});
