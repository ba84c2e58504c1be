import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { blobSha, commitFiles, lfsPointer } from "../../../test/helpers/repo-content.ts";
import { bearer, seedRepo, seedToken, seedUser } from "../../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../../test/helpers/test-context.ts";
import type { Repo, User } from "../../domain/entities.ts";
import { gitOrThrow } from "../../git/git-command.ts";
import { buildApp } from "../app.ts";

// Counts every process anything in this file's module graph starts, to prove the hot path starts none.
const spawns = vi.hoisted(() => ({ count: 0 }));
vi.mock("node:child_process", async (importOriginal) => {
  const original = await importOriginal<typeof import("node:child_process")>();
  return {
    ...original,
    spawn: (...args: Parameters<typeof original.spawn>) => {
      spawns.count++;
      return original.spawn(...args);
    },
  };
});

const CONFIG = '{"model_type":"bert"}';
const BIG = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));

describe.each(testDialects())("resolve and raw on %s", (dialect) => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let alice: User;
  let repo: Repo;
  let commit: string;
  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    alice = await seedUser(ctx, "alice");
    repo = await seedRepo(ctx, alice, "alice/repo");
    commit = await commitFiles(ctx, repo, [
      { path: "config.json", content: CONFIG },
      { path: "README.md", content: "# card\n" },
      { path: "empty.txt", content: "" },
      { path: "sub/dir/a b.txt", content: "spaced" },
      { path: "model.bin", content: BIG, lfs: true },
    ]);
    app = await buildApp(ctx);
  });
  afterEach(async () => {
    await app.close();
    await ctx.dispose();
  });

  it("serves a regular file with the headers the clients read", async () => {
    for (const method of ["GET", "HEAD"] as const) {
      const response = await app.inject({ method, url: "/alice/repo/resolve/main/config.json" });
      expect(response.statusCode).toBe(200);
      expect(response.headers["x-repo-commit"]).toBe(commit);
      expect(response.headers.etag).toBe(`"${blobSha(CONFIG)}"`);
      expect(response.headers["content-length"]).toBe(String(CONFIG.length));
      expect(response.headers["accept-ranges"]).toBe("bytes");
      expect(response.headers["content-encoding"]).toBeUndefined();
      expect(response.headers.link).toBeUndefined();
      expect(Object.keys(response.headers).filter((h) => h.startsWith("x-xet"))).toEqual([]);
      expect(response.body).toBe(method === "GET" ? CONFIG : "");
    }
  });

  it("serves LFS content on resolve and the pointer on raw", async () => {
    const pointer = lfsPointer(BIG);
    const resolved = await app.inject({ url: "/alice/repo/resolve/main/model.bin" });
    expect(resolved.statusCode).toBe(200);
    expect(resolved.headers.etag).toBe(`"${pointer.oid}"`);
    expect(resolved.headers["content-length"]).toBe("5000");
    expect(resolved.rawPayload.equals(BIG)).toBe(true);

    const raw = await app.inject({ url: "/alice/repo/raw/main/model.bin" });
    expect(raw.statusCode).toBe(200);
    expect(raw.body).toBe(pointer.text);
    expect(raw.headers.etag).toBe(`"${blobSha(pointer.text)}"`);
    expect(raw.headers["content-length"]).toBe(String(pointer.text.length));
    expect(raw.headers["x-linked-etag"]).toBeUndefined();

    const head = await app.inject({ method: "HEAD", url: "/alice/repo/raw/main/config.json" });
    expect(head.headers.etag).toBe(`"${blobSha(CONFIG)}"`);
  });

  it("answers single ranges with 206 and Content-Range, and 416 when unsatisfiable", async () => {
    const cases: [string, number, string, string | Buffer][] = [
      ["bytes=0-0", 206, `bytes 0-0/${CONFIG.length}`, CONFIG.slice(0, 1)],
      ["bytes=2-5", 206, `bytes 2-5/${CONFIG.length}`, CONFIG.slice(2, 6)],
      ["bytes=3-", 206, `bytes 3-${CONFIG.length - 1}/${CONFIG.length}`, CONFIG.slice(3)],
      ["bytes=-4", 206, `bytes ${CONFIG.length - 4}-${CONFIG.length - 1}/${CONFIG.length}`, CONFIG.slice(-4)],
      ["bytes=5-1000", 206, `bytes 5-${CONFIG.length - 1}/${CONFIG.length}`, CONFIG.slice(5)],
    ];
    for (const [range, status, contentRange, body] of cases) {
      const response = await app.inject({ url: "/alice/repo/resolve/main/config.json", headers: { range } });
      expect(response.statusCode, range).toBe(status);
      expect(response.headers["content-range"], range).toBe(contentRange);
      expect(response.body, range).toBe(body);
      expect(response.headers["content-length"], range).toBe(String(Buffer.byteLength(body)));
    }
    const lfs = await app.inject({ url: "/alice/repo/resolve/main/model.bin", headers: { range: "bytes=4000-4999" } });
    expect(lfs.statusCode).toBe(206);
    expect(lfs.headers["content-range"]).toBe("bytes 4000-4999/5000");
    expect(lfs.rawPayload.equals(BIG.subarray(4000))).toBe(true);

    const beyond = await app.inject({ url: "/alice/repo/resolve/main/config.json", headers: { range: "bytes=100-" } });
    expect(beyond.statusCode).toBe(416);
    expect(beyond.headers["content-range"]).toBe(`bytes */${CONFIG.length}`);

    const empty = await app.inject({ url: "/alice/repo/resolve/main/empty.txt", headers: { range: "bytes=0-0" } });
    expect([200, 206]).toContain(empty.statusCode);
    expect(empty.headers["content-range"]).toBe("bytes */0");
    expect(empty.body).toBe("");
  });

  it("serves repository bytes sandboxed: nosniff, no script, HTML and SVG as downloads, names encoded", async () => {
    const page = "<script>document.cookie</script>";
    await commitFiles(ctx, repo, [
      { path: 'web/a"é.html', content: page },
      { path: 'web/a"é.svg', content: `<svg xmlns="http://www.w3.org/2000/svg">${page}</svg>` },
      { path: 'web/a"é.bin', content: "bytes" },
      { path: "web/line\r\nSet-Cookie: x=1.txt", content: "text" },
      { path: "web/big.html", content: page, lfs: true },
    ]);
    const encoded = "a%22%C3%A9";
    const expected: [string, string][] = [
      ['web/a"é.html', `attachment; filename="a__.html"; filename*=UTF-8''${encoded}.html`],
      ['web/a"é.svg', `attachment; filename="a__.svg"; filename*=UTF-8''${encoded}.svg`],
      ['web/a"é.bin', `inline; filename="a__.bin"; filename*=UTF-8''${encoded}.bin`],
      [
        "web/line\r\nSet-Cookie: x=1.txt",
        `inline; filename="line__Set-Cookie: x=1.txt"; filename*=UTF-8''line%0D%0ASet-Cookie%3A%20x%3D1.txt`,
      ],
      ["web/big.html", `attachment; filename="big.html"; filename*=UTF-8''big.html`],
      ["config.json", `inline; filename="config.json"; filename*=UTF-8''config.json`],
    ];
    for (const [path, disposition] of expected) {
      const url = path.split("/").map(encodeURIComponent).join("/");
      for (const kind of ["resolve", "raw"]) {
        for (const method of ["GET", "HEAD"] as const) {
          const response = await app.inject({ method, url: `/alice/repo/${kind}/main/${url}` });
          expect(response.statusCode, `${method} ${kind} ${path}`).toBe(200);
          expect(response.headers["x-content-type-options"], `${method} ${kind} ${path}`).toBe("nosniff");
          expect(response.headers["content-security-policy"]).toBe(
            "default-src 'none'; style-src 'unsafe-inline'; sandbox",
          );
          expect(response.headers["content-disposition"]).toBe(disposition);
          expect(response.headers["set-cookie"]).toBeUndefined();
        }
      }
    }
    // The bytes and the headers the clients read are what they were.
    const html = await app.inject({ url: `/alice/repo/resolve/main/web/${encoded}.html` });
    expect(html.body).toBe(page);
    expect(html.headers["content-type"]).toBe("application/octet-stream");
    expect(html.headers.etag).toBe(`"${blobSha(page)}"`);
    expect(html.headers["content-length"]).toBe(String(page.length));

    // Errors on these routes are sandboxed too: a missing file, a bad range, a private repo, a bad token.
    await seedRepo(ctx, alice, "alice/secret", { private: true });
    for (const [request, status] of [
      [{ url: "/alice/repo/resolve/main/web/missing.html" }, 404],
      [{ url: `/alice/repo/resolve/main/web/${encoded}.html`, headers: { range: "bytes=999-" } }, 416],
      [{ url: "/alice/secret/resolve/main/config.json" }, 401],
      [{ url: "/alice/repo/raw/main/config.json", headers: bearer(`hf_${"x".repeat(34)}`) }, 401],
    ] as const) {
      const response = await app.inject(request);
      expect(response.statusCode).toBe(status);
      expect(response.headers["x-content-type-options"]).toBe("nosniff");
      expect(response.headers["content-security-policy"]).toBe(
        "default-src 'none'; style-src 'unsafe-inline'; sandbox",
      );
    }
  });

  it("answers a missing file with EntryNotFound and the commit, a bad revision with RevisionNotFound", async () => {
    const missing = await app.inject({ method: "HEAD", url: "/alice/repo/resolve/main/nope.txt" });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers["x-error-code"]).toBe("EntryNotFound");
    expect(missing.headers["x-repo-commit"]).toBe(commit);
    expect(missing.headers["x-error-message"]).toContain("nope.txt");
    const directory = await app.inject({ url: "/alice/repo/resolve/main/sub" });
    expect(directory.headers["x-error-code"]).toBe("EntryNotFound");
    const revision = await app.inject({ method: "HEAD", url: "/alice/repo/resolve/nope/config.json" });
    expect(revision.statusCode).toBe(404);
    expect(revision.headers["x-error-code"]).toBe("RevisionNotFound");
    const traversal = await app.inject({ url: "/alice/repo/resolve/main/sub/..%2F..%2Fconfig.json" });
    expect(traversal.statusCode).toBe(400);
  });

  it("resolves encoded and raw refs/pr revisions, branches with slashes, short and full ids, HEAD", async () => {
    const pr = await commitFiles(ctx, repo, [{ path: "config.json", content: "pr" }], { branch: "refs/pr/1" });
    const feature = await commitFiles(ctx, repo, [{ path: "config.json", content: "feature" }], {
      branch: "feature/x",
    });
    const cases: [string, string, string][] = [
      ["refs%2Fpr%2F1/config.json", pr, "pr"],
      ["refs/pr/1/config.json", pr, "pr"],
      ["feature/x/config.json", feature, "feature"],
      ["feature%2Fx/config.json", feature, "feature"],
      ["HEAD/config.json", commit, CONFIG],
      [`${commit}/config.json`, commit, CONFIG],
      [`${commit.slice(0, 7)}/config.json`, commit, CONFIG],
      ["main/sub/dir/a%20b.txt", commit, "spaced"],
    ];
    for (const [tail, sha, body] of cases) {
      const response = await app.inject({ url: `/alice/repo/resolve/${tail}` });
      expect(response.statusCode, tail).toBe(200);
      expect(response.headers["x-repo-commit"], tail).toBe(sha);
      expect(response.body, tail).toBe(body);
    }
  });

  it("serves datasets and spaces under their prefix and ids case-insensitively", async () => {
    const dataset = await seedRepo(ctx, alice, "alice/data", { type: "dataset" });
    await commitFiles(ctx, dataset, [{ path: "train.csv", content: "a,b\n" }]);
    expect((await app.inject({ url: "/datasets/alice/data/resolve/main/train.csv" })).body).toBe("a,b\n");
    expect((await app.inject({ url: "/datasets/Alice/DATA/raw/main/train.csv" })).body).toBe("a,b\n");
    expect((await app.inject({ url: "/alice/data/resolve/main/train.csv" })).headers["x-error-code"]).toBe(
      "RepoNotFound",
    );
    expect((await app.inject({ url: "/ALICE/Repo/resolve/main/config.json" })).body).toBe(CONFIG);
  });

  it("refuses an LFS object missing from storage or held only by another repo", async () => {
    const other = await seedRepo(ctx, alice, "alice/other");
    const secret = Buffer.from("another repo's object");
    await commitFiles(ctx, other, [{ path: "secret.bin", content: secret, lfs: true }]);
    await commitFiles(ctx, repo, [
      { path: "lost.bin", content: Buffer.from("never uploaded"), lfs: true, skipUpload: true },
      { path: "borrowed.bin", content: secret, lfs: true, skipUpload: true },
    ]);
    for (const path of ["lost.bin", "borrowed.bin"]) {
      const response = await app.inject({ url: `/alice/repo/resolve/main/${path}` });
      expect(response.statusCode, path).toBe(404);
      expect(response.headers["x-error-code"]).toBe("EntryNotFound");
      expect(response.json().error).toMatch(/not in this repository's storage/);
    }
    expect((await app.inject({ url: "/alice/other/resolve/main/secret.bin" })).body).toBe(secret.toString());
  });

  it("keeps README.md readable on a gated repo and gates everything else", async () => {
    const gated = await seedRepo(ctx, alice, "alice/gated", { gated: "manual" });
    await commitFiles(ctx, gated, [
      { path: "README.md", content: "# gated card\n" },
      { path: "config.json", content: CONFIG },
    ]);
    const bob = await seedUser(ctx, "bob");
    const bobToken = await seedToken(ctx, bob, { role: "read" });
    const aliceToken = await seedToken(ctx, alice, { role: "read" });

    expect((await app.inject({ url: "/alice/gated/resolve/main/README.md" })).body).toBe("# gated card\n");
    expect(
      (await app.inject({ url: "/alice/gated/resolve/main/README.md", headers: bearer(bobToken) })).statusCode,
    ).toBe(200);
    for (const path of ["config.json", ".gitattributes"]) {
      const anonymous = await app.inject({ method: "HEAD", url: `/alice/gated/resolve/main/${path}` });
      expect(anonymous.statusCode, path).toBe(401);
      expect(anonymous.headers["x-error-code"]).toBe("GatedRepo");
      const other = await app.inject({
        method: "HEAD",
        url: `/alice/gated/resolve/main/${path}`,
        headers: bearer(bobToken),
      });
      expect(other.statusCode, path).toBe(403);
      expect(other.headers["x-error-code"]).toBe("GatedRepo");
      expect(other.headers["x-error-message"]).toMatch(
        /Access to model alice\/gated is restricted and you are not in the authorized list/,
      );
      const raw = await app.inject({ url: `/alice/gated/raw/main/${path}`, headers: bearer(bobToken) });
      expect(raw.statusCode).toBe(403);
      const owner = await app.inject({ url: `/alice/gated/resolve/main/${path}`, headers: bearer(aliceToken) });
      expect(owner.statusCode, path).toBe(200);
    }
    // README.md only at the root.
    await commitFiles(ctx, gated, [{ path: "sub/README.md", content: "nested" }]);
    expect(
      (await app.inject({ url: "/alice/gated/resolve/main/sub/README.md", headers: bearer(bobToken) })).statusCode,
    ).toBe(403);
  });

  it("hides private repos: 401 for anonymous, 404 for others, 200 for the owner", async () => {
    const hidden = await seedRepo(ctx, alice, "alice/hidden", { private: true });
    const bob = await seedUser(ctx, "bob");
    const anonymous = await app.inject({ method: "HEAD", url: "/alice/hidden/resolve/main/.gitattributes" });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers["x-error-code"]).toBe("RepoNotFound");
    const other = await app.inject({
      url: "/alice/hidden/resolve/main/.gitattributes",
      headers: bearer(await seedToken(ctx, bob)),
    });
    expect(other.statusCode).toBe(404);
    expect(other.headers["x-error-code"]).toBe("RepoNotFound");
    const readme = await app.inject({ url: "/alice/hidden/resolve/main/README.md" });
    expect(readme.statusCode).toBe(401);
    expect(hidden.private).toBe(true);
    const owner = await app.inject({
      url: "/alice/hidden/resolve/main/.gitattributes",
      headers: bearer(await seedToken(ctx, alice, { role: "read" })),
    });
    expect(owner.statusCode).toBe(200);
  });

  it("spawns no process for a HEAD on a revision it has seen before", async () => {
    const token = await seedToken(ctx, alice, { role: "read" });
    const request = {
      method: "HEAD" as const,
      url: "/alice/repo/resolve/main/sub/dir/a%20b.txt",
      headers: bearer(token),
    };
    const first = await app.inject(request);
    expect(first.statusCode).toBe(200);
    const before = spawns.count;
    expect(before).toBeGreaterThan(0);
    for (const url of [request.url, "/alice/repo/resolve/main/config.json", "/alice/repo/resolve/main/model.bin"]) {
      const again = await app.inject({ ...request, url });
      expect(again.statusCode, url).toBe(200);
      expect(again.headers["x-repo-commit"]).toBe(commit);
    }
    const full = await app.inject({ ...request, url: `/alice/repo/resolve/${commit}/config.json` });
    expect(full.statusCode).toBe(200);
    expect(spawns.count).toBe(before);
    // A new commit on the branch is seen at once (and costs one new tree read).
    const next = await commitFiles(ctx, repo, [{ path: "config.json", content: "{}" }]);
    const moved = await app.inject({ ...request, url: "/alice/repo/resolve/main/config.json" });
    expect(moved.headers["x-repo-commit"]).toBe(next);
    expect(moved.headers["content-length"]).toBe("2");
  });

  it("spawns no process per request for GETs of small files, new commits, tags and short ids", async () => {
    const token = await seedToken(ctx, alice, { role: "read" });
    const get = (url: string) => app.inject({ url, headers: bearer(token) });
    expect((await get("/alice/repo/resolve/main/config.json")).body).toBe(CONFIG);
    const before = spawns.count;
    for (let i = 0; i < 5; i++) {
      const again = await get("/alice/repo/resolve/main/config.json");
      expect(again.body).toBe(CONFIG);
      const range = await app.inject({
        url: "/alice/repo/resolve/main/config.json",
        headers: { ...bearer(token), range: "bytes=2-11" },
      });
      expect(range.body).toBe(CONFIG.slice(2, 12));
    }
    expect(spawns.count).toBe(before);
    // A new commit's tree, a tag and a short id are read through the repo's long-lived git process.
    const next = await commitFiles(ctx, repo, [{ path: "new.txt", content: "new" }]);
    await gitOrThrow(["tag", "v1", next], { cwd: ctx.storage.pathOf("model", repo.id) });
    const counted = spawns.count;
    for (const revision of ["main", "v1", next.slice(0, 10)]) {
      const answer = await get(`/alice/repo/resolve/${revision}/new.txt`);
      expect(answer.body, revision).toBe("new");
    }
    expect(spawns.count).toBe(counted);
  });
});
