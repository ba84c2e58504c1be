import { createHash } from "node:crypto";
import { createRequire, syncBuiltinESMExports } from "node:module";
import { afterEach, describe, expect, it } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { commitFiles, lfsPointer } from "../../../test/helpers/repo-content.ts";
import { seedOrg, seedRepo, seedUser } from "../../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../../test/helpers/test-context.ts";
import { webSignIn } from "../../../test/helpers/web-session.ts";
import type { ConfigOverrides } from "../../config.ts";
import { gitOrThrow } from "../../git/git-command.ts";
import { buildApp } from "../app.ts";

const README = "---\nlicense: apache-2.0\npipeline_tag: fill-mask\n---\n# BERT\n\nSee [the config](config.json).\n";

describe.each(testDialects())("repository pages on %s", (dialect) => {
  let ctx: TestContext;
  afterEach(async () => ctx?.dispose());

  async function setup(overrides: ConfigOverrides = {}) {
    ctx = await makeTestContext(dialect, overrides);
    const alice = await seedUser(ctx, "alice");
    const bob = await seedUser(ctx, "bob");
    const repo = await seedRepo(ctx, alice, "alice/bert");
    const first = await commitFiles(
      ctx,
      repo,
      [
        { path: "README.md", content: README },
        { path: "config.json", content: '{\n  "a": 1\n}\n' },
        { path: "sub/dir/deep.txt", content: "deep\n" },
        { path: "data.bin", content: Buffer.from([0, 1, 2, 3, 255]) },
        { path: "model.safetensors", content: Buffer.alloc(4000, 3), lfs: true },
      ],
      { message: "Add files" },
    );
    const dir = ctx.storage.pathOf(repo.type, repo.id);
    await gitOrThrow(["tag", "v1", first], { cwd: dir });
    const second = await commitFiles(ctx, repo, [{ path: "config.json", content: '{\n  "a": 2\n}\n' }], {
      message: "Change a",
    });
    const app = await buildApp(ctx);
    return { app, alice, bob, repo, first, second, dir };
  }

  it("renders the card with metadata tags and links into the repo, and no front matter", async () => {
    const { app } = await setup();
    const page = await app.inject({ url: "/alice/bert" });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("<h2>BERT</h2>");
    expect(page.body).toContain('<a href="/alice/bert/blob/main/config.json">the config</a>');
    expect(page.body).toMatch(/<span class="tag-key">License<\/span> apache-2.0/);
    expect(page.body).not.toContain("pipeline_tag:");
    expect(page.body).toContain("3 commits");
    expect(page.body).toContain("1 branch, 1 tag");
    expect(page.body).toContain(
      "from transformers import pipeline\npipe = pipeline(&quot;fill-mask&quot;, model=&quot;alice/bert&quot;)",
    );
    expect(page.body).toContain("export HF_ENDPOINT=http://hub.test");
    expect(page.body).toContain('href="/alice/bert/discussions"');
  });

  it("serves a card seen before without spawning git, and renders it afresh after a push", async () => {
    const { app, repo } = await setup();
    // The counter sees git: the first view reads the tree, the README and the head commit.
    expect(await countSpawns(() => app.inject({ url: "/alice/bert" }))).toBeGreaterThan(0);
    const parses = ctx.trees.parses;
    const spawned = await countSpawns(() => app.inject({ url: "/alice/bert" }));
    expect(spawned).toBe(0);
    expect(ctx.trees.parses).toBe(parses);
    await commitFiles(ctx, repo, [{ path: "README.md", content: "# Renamed\n" }]);
    expect((await app.inject({ url: "/alice/bert" })).body).toContain("<h2>Renamed</h2>");
  });

  it("allows remote card images in the page's CSP only when the admin allows their origin", async () => {
    const closed = await setup();
    expect((await closed.app.inject({ url: "/alice/bert" })).headers["content-security-policy"]).toContain(
      "img-src 'self' data:;",
    );
    await ctx.dispose();
    const open = await setup({ cardImages: { type: "origins", origins: ["https://img.example.org"] } });
    const csp = (await open.app.inject({ url: "/alice/bert" })).headers["content-security-policy"];
    expect(csp).toContain("img-src 'self' data: https://img.example.org;");
    expect(csp).not.toContain("unsafe-inline");
    expect((await open.app.inject({ url: "/alice/bert/tree/main" })).headers["content-security-policy"]).toContain(
      "img-src 'self' data:;",
    );
  });

  it("lists a directory at a branch, a tag and a commit, directories first, with sizes and LFS badges", async () => {
    const { app, first } = await setup();
    const root = await app.inject({ url: "/alice/bert/tree/main" });
    expect(root.statusCode).toBe(200);
    const names = [
      ...root.body.matchAll(/<th scope="row"><span class="icon"[^>]*>[^<]*<\/span>(?:<a [^>]*>)?([^<]+)/g),
    ].map((m) => m[1]);
    expect(names).toEqual(["sub/", ".gitattributes", "README.md", "config.json", "data.bin", "model.safetensors"]);
    expect(root.body).toMatch(/model\.safetensors<\/a>\s*<span class="badge lfs"/);
    expect(root.body).toContain("3.9 kB");
    expect(root.body).toContain("Change a");
    const nested = await app.inject({ url: "/alice/bert/tree/main/sub/dir" });
    expect(nested.body).toContain('href="/alice/bert/blob/main/sub/dir/deep.txt"');
    for (const rev of ["v1", first, first.slice(0, 10)]) {
      const atRev = await app.inject({ url: `/alice/bert/tree/${rev}` });
      expect(atRev.statusCode, rev).toBe(200);
      expect(atRev.body).toContain(`href="/alice/bert/blob/${rev}/config.json"`);
    }
    expect((await app.inject({ url: "/alice/bert/tree/nope" })).statusCode).toBe(404);
    expect((await app.inject({ url: "/alice/bert/tree/main/missing" })).statusCode).toBe(404);
    expect((await app.inject({ url: "/alice/bert/tree/main/config.json" })).headers.location).toBe(
      "/alice/bert/blob/main/config.json",
    );
    expect((await app.inject({ url: "/alice/bert/tree" })).headers.location).toBe("/alice/bert/tree/main");
  });

  it("pages a large directory and bounds the last-commit walk", async () => {
    const { app, repo } = await setup();
    const files = Array.from({ length: 450 }, (_, i) => ({
      path: `many/f${String(i).padStart(3, "0")}.txt`,
      content: `${i}`,
    }));
    await commitFiles(ctx, repo, files);
    const first = await app.inject({ url: "/alice/bert/tree/main/many" });
    expect(first.body).toContain("Page 1 of 3 (450 entries)");
    expect(first.body).toContain("f199.txt");
    expect(first.body).not.toContain("f200.txt");
    const last = await app.inject({ url: "/alice/bert/tree/main/many?p=2" });
    expect(last.body).toContain("f449.txt");
    expect(last.body).not.toContain("f399.txt");
    expect((await app.inject({ url: "/alice/bert/tree/main/many?p=-1" })).statusCode).toBe(400);
    expect((await app.inject({ url: "/alice/bert/tree/main/many?p=99" })).statusCode).toBe(200);
  });

  it("shows a text file with line numbers and highlighting, a binary or LFS file as a download with its sha256", async () => {
    const { app } = await setup();
    const config = await app.inject({ url: "/alice/bert/blob/main/config.json" });
    expect(config.statusCode).toBe(200);
    expect(config.body).toContain('<tr id="L2"><td class="ln"><a href="#L2" aria-label="Line 2">2</a></td>');
    expect(config.body).toContain('<span class="hl-key">&quot;a&quot;</span>');
    const binary = await app.inject({ url: "/alice/bert/blob/main/data.bin" });
    expect(binary.body).toContain("This file is binary");
    expect(binary.body).toContain(
      createHash("sha256")
        .update(Buffer.from([0, 1, 2, 3, 255]))
        .digest("hex"),
    );
    expect(binary.body).toContain('href="/alice/bert/resolve/main/data.bin"');
    const weights = await app.inject({ url: "/alice/bert/blob/main/model.safetensors" });
    expect(weights.body).toContain("stored with Git LFS");
    expect(weights.body).toContain(lfsPointer(Buffer.alloc(4000, 3)).oid);
    expect((await app.inject({ url: "/alice/bert/blob/main/sub" })).headers.location).toBe("/alice/bert/tree/main/sub");
  });

  it("escapes a hostile file name, commit message and README everywhere", async () => {
    const { app, repo } = await setup();
    const name = `<img src=x onerror=alert(1)>.txt`;
    const hostile = await commitFiles(ctx, repo, [{ path: name, content: "<script>alert(2)</script>\n" }], {
      message: "<script>alert(3)</script>",
    });
    for (const url of [
      "/alice/bert/tree/main",
      `/alice/bert/blob/main/${encodeURIComponent(name)}`,
      "/alice/bert/commits/main",
      `/alice/bert/commit/${hostile}`,
      "/alice/bert",
    ]) {
      const page = await app.inject({ url });
      expect(page.statusCode, url).toBe(200);
      expect(page.body, url).not.toMatch(/<script>alert|<img src=x/);
    }
    const blob = await app.inject({ url: `/alice/bert/blob/main/${encodeURIComponent(name)}` });
    expect(blob.body).toContain("&lt;script&gt;alert(2)&lt;/script&gt;");
  });

  it("pages the history of a revision and of one path", async () => {
    const { app, repo } = await setup();
    for (let i = 0; i < 55; i++)
      await commitFiles(ctx, repo, [{ path: "counter.txt", content: `${i}` }], { message: `Count ${i}` });
    const first = await app.inject({ url: "/alice/bert/commits/main" });
    expect(first.body).toContain("58 commits");
    expect(first.body).toContain("Count 54");
    expect(first.body).not.toContain("Count 4<");
    const second = await app.inject({ url: "/alice/bert/commits/main?p=1" });
    expect(second.body).toContain("Count 4<");
    expect(second.body).toContain("initial commit");
    const ofFile = await app.inject({ url: "/alice/bert/commits/main/config.json" });
    expect(ofFile.body).toContain("2 commits");
    expect(ofFile.body).toContain("Change a");
    expect((await app.inject({ url: "/alice/bert/commits/main?p=x" })).statusCode).toBe(400);
    expect((await app.inject({ url: "/alice/bert/commits" })).headers.location).toBe("/alice/bert/commits/main");
  });

  it("shows a commit with its diff at the URL the commit API returns, and 404s an id of another repo", async () => {
    const { app, alice, first, second } = await setup();
    const page = await app.inject({ url: `/alice/bert/commit/${second}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("Change a");
    expect(page.body).toContain(`href="/alice/bert/commit/${first}"`);
    expect(page.body).toMatch(/<tr class="delete">.*&quot;a&quot;: 1/);
    expect(page.body).toMatch(/<tr class="insert">.*&quot;a&quot;: 2/);
    const firstPage = await app.inject({ url: `/alice/bert/commit/${first}` });
    expect(firstPage.body).toContain("An LFS file");
    expect(firstPage.body).toContain("A binary file");
    expect((await app.inject({ url: `/alice/bert/commit/${second.slice(0, 8)}` })).headers.location).toBe(
      `/alice/bert/commit/${second}`,
    );
    const other = await seedRepo(ctx, alice, "alice/other");
    const foreign = await commitFiles(ctx, other, [{ path: "x.txt", content: "x" }]);
    expect((await app.inject({ url: `/alice/bert/commit/${foreign}` })).statusCode).toBe(404);
    expect((await app.inject({ url: "/alice/bert/commit/main" })).statusCode).toBe(404);
  });

  it("keeps a gated repo's files behind the gate but shows its card, tree and README", async () => {
    const { app, alice } = await setup();
    const gated = await seedRepo(ctx, alice, "alice/gated", { gated: "manual" });
    await commitFiles(ctx, gated, [
      { path: "README.md", content: "# Gated card\n\n![chart](chart.png)\n" },
      { path: "secret.txt", content: "behind the gate\n" },
    ]);
    const bob = await webSignIn(app, "bob");
    const card = await bob.get("/alice/gated");
    expect(card.statusCode).toBe(200);
    expect(card.body).toContain("Gated card");
    expect(card.body).toContain("[image: chart]");
    expect(card.body).toContain("Agree and access repository");
    const tree = await bob.get("/alice/gated/tree/main");
    expect(tree.statusCode).toBe(200);
    expect(tree.body).toContain("secret.txt");
    expect(tree.body).not.toContain('href="/alice/gated/blob/main/secret.txt"');
    expect((await bob.get("/alice/gated/blob/main/README.md")).statusCode).toBe(200);
    for (const url of ["/alice/gated/blob/main/secret.txt", "/alice/gated/commits/main"]) {
      const refused = await bob.get(url);
      expect(refused.statusCode, url).toBe(403);
      expect(refused.body).toContain("Agree and access repository");
      expect(refused.body).not.toContain("behind the gate");
    }
    const owner = await webSignIn(app, "alice");
    expect((await owner.get("/alice/gated/blob/main/secret.txt")).body).toContain("behind the gate");
  });

  it("answers every page of a private repo with the same 404 as a missing repo, to strangers and visitors", async () => {
    const { app, alice, bob } = await setup();
    const org = await seedOrg(ctx, "acme", alice, { bob: [bob, "read"] });
    const secret = await seedRepo(ctx, alice, "acme/secret", { private: true });
    const head = await commitFiles(ctx, secret, [{ path: "README.md", content: "# Secret\n" }]);
    await seedUser(ctx, "carol");
    const carol = await webSignIn(app, "carol");
    const views = ["", "/tree/main", "/blob/main/README.md", "/commits/main", `/commit/${head}`, "/tree", "/commits"];
    for (const view of views) {
      for (const get of [(url: string) => app.inject({ url }), carol.get]) {
        const hidden = await get(`/acme/secret${view}`);
        const missing = await get(`/acme/nothing${view}`);
        expect([hidden.statusCode, missing.statusCode], view).toEqual([404, 404]);
        expect(hidden.body.replaceAll("secret", "nothing")).toBe(missing.body);
      }
    }
    const member = await webSignIn(app, "bob");
    expect((await member.get("/acme/secret/blob/main/README.md")).statusCode).toBe(200);
    expect(org.name).toBe("acme");
  });
});

/** How many child processes `run` starts, counted at `child_process.spawn` (every git call goes through it). */
async function countSpawns(run: () => Promise<unknown>): Promise<number> {
  const childProcess = createRequire(import.meta.url)("node:child_process") as typeof import("node:child_process");
  const original = childProcess.spawn;
  let count = 0;
  childProcess.spawn = ((...args: Parameters<typeof original>) => {
    count++;
    if (process.env.DEBUG_SPAWN) console.log(JSON.stringify(args[1]));
    return original(...args);
  }) as typeof original;
  syncBuiltinESMExports();
  try {
    await run();
  } finally {
    childProcess.spawn = original;
    syncBuiltinESMExports();
  }
  return count;
}
