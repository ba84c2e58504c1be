import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { legacyEntries, writeLegacyCommit } from "../../../test/helpers/raw-tree.ts";
import { blobSha, commitFiles, lfsPointer } from "../../../test/helpers/repo-content.ts";
import { bearer, seedRepo, seedToken, seedUser } from "../../../test/helpers/seed.ts";
import { makeTestContext, TEST_PUBLIC_URL, type TestContext } from "../../../test/helpers/test-context.ts";
import type { Repo, User } from "../../domain/entities.ts";
import { buildApp } from "../app.ts";

const BIG = Buffer.alloc(4096, 1);

describe.each(testDialects())("tree and paths-info on %s", (dialect) => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let alice: User;
  let repo: Repo;
  let commit: string;
  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    alice = await seedUser(ctx, "alice");
    repo = await seedRepo(ctx, alice, "alice/repo");
    commit = await commitFiles(
      ctx,
      repo,
      [
        { path: "file.md", content: "hello world!" },
        { path: "1/file_1.md", content: "one" },
        { path: "1/2/file_2.md", content: "two" },
        { path: "big.bin", content: BIG, lfs: true },
      ],
      { message: "Add files" },
    );
    app = await buildApp(ctx);
  });
  afterEach(async () => {
    await app.close();
    await ctx.dispose();
  });

  it("lists the root, a folder, and recursively with full paths and LFS info", async () => {
    const root = await app.inject({ url: "/api/models/alice/repo/tree/main" });
    expect(root.statusCode).toBe(200);
    const pointer = lfsPointer(BIG);
    expect(root.json()).toEqual([
      { type: "file", oid: expect.any(String), size: expect.any(Number), path: ".gitattributes" },
      { type: "directory", oid: expect.stringMatching(/^[0-9a-f]{40}$/), size: 0, path: "1" },
      {
        type: "file",
        oid: blobSha(pointer.text),
        size: 4096,
        path: "big.bin",
        lfs: { oid: pointer.oid, size: 4096, pointerSize: pointer.text.length },
      },
      { type: "file", oid: blobSha("hello world!"), size: 12, path: "file.md" },
    ]);
    const folder = await app.inject({ url: "/api/models/alice/repo/tree/main/1" });
    expect(folder.json().map((e: { path: string }) => e.path)).toEqual(["1/2", "1/file_1.md"]);
    const encoded = await app.inject({ url: "/api/models/alice/repo/tree/main/1%2F2" });
    expect(encoded.json().map((e: { path: string }) => e.path)).toEqual(["1/2/file_2.md"]);
    const recursive = await app.inject({ url: "/api/models/alice/repo/tree/main/1?recursive=True" });
    expect(recursive.json().map((e: { path: string }) => e.path)).toEqual(["1/2", "1/2/file_2.md", "1/file_1.md"]);
    const all = await app.inject({ url: "/api/models/alice/repo/tree/main?recursive=1" });
    expect(all.json()).toHaveLength(7);
    expect(JSON.stringify(all.json())).not.toContain("xetHash");
  });

  it("adds lastCommit with expand", async () => {
    const response = await app.inject({ url: "/api/models/alice/repo/tree/main?expand=true" });
    const entries = response.json() as { path: string; lastCommit: { id: string; title: string; date: string } }[];
    const byPath = Object.fromEntries(entries.map((e) => [e.path, e.lastCommit]));
    expect(byPath["1"]).toMatchObject({ id: commit, title: "Add files" });
    expect(byPath["1"]?.date).toMatch(/Z$/);
    expect(byPath[".gitattributes"]?.title).toBe("initial commit");
  });

  it("accepts raw and encoded pull-request revisions and reports unknown paths and revisions", async () => {
    const pr = await commitFiles(ctx, repo, [{ path: "1/pr.txt", content: "pr" }], { branch: "refs/pr/1" });
    for (const url of [
      "/api/models/alice/repo/tree/refs/pr/1/1",
      "/api/models/alice/repo/tree/refs%2Fpr%2F1/1",
      `/api/models/alice/repo/tree/${pr.slice(0, 10)}/1`,
    ]) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(200);
      expect(
        response.json().map((e: { path: string }) => e.path),
        url,
      ).toContain("1/pr.txt");
    }
    const missing = await app.inject({ url: "/api/models/alice/repo/tree/main/nope" });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers["x-error-code"]).toBe("EntryNotFound");
    const revision = await app.inject({ url: "/api/models/alice/repo/tree/nope" });
    expect(revision.headers["x-error-code"]).toBe("RevisionNotFound");
  });

  it("paginates with an absolute Link pinned to the commit", async () => {
    const files = Array.from({ length: 25 }, (_, i) => ({
      path: `many/f${String(i).padStart(2, "0")}.txt`,
      content: `${i}`,
    }));
    const head = await commitFiles(ctx, repo, files);
    const seen: string[] = [];
    let url: string | undefined = "/api/models/alice/repo/tree/main/many?limit=10";
    let pages = 0;
    while (url) {
      const response = await app.inject({ url });
      expect(response.statusCode).toBe(200);
      seen.push(...response.json().map((e: { path: string }) => e.path));
      const link = response.headers.link as string | undefined;
      const next = link ? /^<([^>]+)>; rel="next"$/.exec(link)?.[1] : undefined;
      if (next) {
        expect(next.startsWith(`${TEST_PUBLIC_URL}/api/models/alice/repo/tree/${head}/many?`)).toBe(true);
        url = next.slice(TEST_PUBLIC_URL.length);
      } else url = undefined;
      pages++;
      // A push between pages changes nothing in the listing.
      if (pages === 1) await commitFiles(ctx, repo, [{ path: "many/a-new.txt", content: "new" }]);
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(files.map((f) => f.path));
    expect((await app.inject({ url: "/api/models/alice/repo/tree/main?cursor=%%%" })).statusCode).toBe(400);

    // A cursor past the end is an empty page; a bad page size is a 400, a huge one the largest page.
    const past = Buffer.from(JSON.stringify({ o: 10 ** 12 })).toString("base64url");
    const beyond = await app.inject({ url: `/api/models/alice/repo/tree/main/many?cursor=${past}` });
    expect(beyond.statusCode).toBe(200);
    expect(beyond.json()).toEqual([]);
    expect(beyond.headers.link).toBeUndefined();
    const huge = await app.inject({ url: "/api/models/alice/repo/tree/main/many?limit=99999999999999" });
    expect(huge.json()).toHaveLength(files.length + 1);
    expect(huge.headers.link).toBeUndefined();
    for (const bad of ["limit=0", "limit=-1", "limit=abc", "limit=1e3", "limit=2&limit=3"]) {
      const response = await app.inject({ url: `/api/models/alice/repo/tree/main/many?${bad}` });
      expect(response.statusCode, bad).toBe(400);
    }
  });

  it("answers paths-info in request order for JSON and form bodies, leaving out missing paths", async () => {
    const json = await app.inject({
      method: "POST",
      url: "/api/models/alice/repo/paths-info/main",
      payload: { paths: ["file.md", "nope.txt", "1", "big.bin"], expand: true },
    });
    expect(json.statusCode).toBe(200);
    const entries = json.json();
    expect(entries.map((e: { path: string; type: string }) => [e.path, e.type])).toEqual([
      ["file.md", "file"],
      ["1", "directory"],
      ["big.bin", "file"],
    ]);
    expect(entries[0].lastCommit).toMatchObject({ id: commit, title: "Add files" });
    expect(entries[2].lfs.oid).toBe(lfsPointer(BIG).oid);

    const form = await app.inject({
      method: "POST",
      url: "/api/models/alice/repo/paths-info/refs%2Fheads%2Fmain",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: "paths=1%2F2%2Ffile_2.md&paths=missing&paths=file.md&expand=False",
    });
    expect(form.statusCode).toBe(200);
    expect(form.json()).toEqual([
      { type: "file", oid: blobSha("two"), size: 3, path: "1/2/file_2.md" },
      { type: "file", oid: blobSha("hello world!"), size: 12, path: "file.md" },
    ]);
    const bad = await app.inject({ method: "POST", url: "/api/models/alice/repo/paths-info/main", payload: {} });
    expect(bad.statusCode).toBe(400);
  });

  it("answers for paths from before the path rules without a 500, and never serves them as `..`", async () => {
    const dir = ctx.storage.pathOf(repo.type, repo.id);
    const blob = blobSha("hello world!");
    await writeLegacyCommit(dir, await legacyEntries(dir, blob));
    const all = await app.inject({ url: "/api/models/alice/repo/tree/main?recursive=1" });
    expect(all.statusCode).toBe(200);
    expect(all.json().map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(["..", "../x", "../../../tmp/x", ".git~1/x", "a\\b"]),
    );
    expect((await app.inject({ url: "/api/models/alice/repo/tree/main/.git~1" })).statusCode).toBe(200);
    for (const url of ["/api/models/alice/repo/tree/main/..%2Fx", "/alice/repo/resolve/main/..%2F..%2F..%2Ftmp%2Fx"]) {
      expect((await app.inject({ url })).statusCode, url).toBe(400);
    }
    const info = await app.inject({
      method: "POST",
      url: "/api/models/alice/repo/paths-info/main",
      payload: { paths: ["../x", "../../../tmp/x", ".git~1/x", "README.md"] },
    });
    expect(info.statusCode).toBe(200);
    expect(info.json().map((e: { path: string }) => e.path)).toEqual([".git~1/x", "README.md"]);
    expect((await app.inject({ url: "/api/models/alice/repo" })).statusCode).toBe(200);
  });

  it("lists a gated repo for anyone, hides a private one", async () => {
    const gated = await seedRepo(ctx, alice, "alice/gated", { gated: "auto" });
    const hidden = await seedRepo(ctx, alice, "alice/hidden", { private: true, type: "dataset" });
    const bob = await seedUser(ctx, "bob");
    const bobToken = await seedToken(ctx, bob, { role: "read" });
    expect((await app.inject({ url: "/api/models/alice/gated/tree/main" })).statusCode).toBe(200);
    const info = await app.inject({
      method: "POST",
      url: "/api/models/alice/gated/paths-info/main",
      headers: bearer(bobToken),
      payload: { paths: [".gitattributes"] },
    });
    expect(info.json()).toHaveLength(1);
    const anonymous = await app.inject({ url: "/api/datasets/alice/hidden/tree/main" });
    expect([anonymous.statusCode, anonymous.headers["x-error-code"]]).toEqual([401, "RepoNotFound"]);
    const other = await app.inject({ url: "/api/datasets/alice/hidden/tree/main", headers: bearer(bobToken) });
    expect([other.statusCode, other.headers["x-error-code"]]).toEqual([404, "RepoNotFound"]);
    const owner = await app.inject({
      url: "/api/datasets/Alice/Hidden/tree/main",
      headers: bearer(await seedToken(ctx, alice, { role: "read" })),
    });
    expect(owner.statusCode).toBe(200);
    expect(gated.gated).toBe("auto");
    expect(hidden.type).toBe("dataset");
  });
});
