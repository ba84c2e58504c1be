import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Context } from "../../src/context.ts";
import type { Repo } from "../../src/domain/entities.ts";
import { runGit } from "../../src/git/git-command.ts";
import { type BerthServer, startBerthServer } from "../helpers/berth-server.ts";
import { git, gitOk } from "../helpers/git-client.ts";
import { type RawTreeEntry, writeRawTree } from "../helpers/raw-tree.ts";
import { seedRepo, seedToken, seedUser } from "../helpers/seed.ts";

describe("git push through Berth checks every pushed path", () => {
  let server: BerthServer;
  let ctx: Context;
  let home: string;
  let work: string;
  let repo: Repo;
  let remote: string;
  let blob: string;

  const out = async (args: string[]) => (await gitOk(home, args, work)).stdout.trim();
  const serverHead = () => ctx.storage.resolveRevision("model", repo.id, "main");
  /** Whether the server's repository holds the object at all (a refused push leaves nothing behind). */
  const serverHas = async (oid: string) =>
    (await runGit(["cat-file", "-e", oid], { cwd: ctx.storage.pathOf("model", repo.id) })).code === 0;

  const rawTree = (entries: readonly RawTreeEntry[]) => writeRawTree(work, entries);

  /** A commit on top of the server's main whose root tree also holds `extra`. */
  async function commitAdding(extra: RawTreeEntry): Promise<{ commit: string; tree: string }> {
    const listing = await out(["ls-tree", "origin/main"]);
    const entries = listing.split("\n").map((line) => {
      const [meta = "", name = ""] = line.split("\t");
      const [mode = "", , oid = ""] = meta.split(" ");
      return { mode: mode === "040000" ? "40000" : mode, name, oid };
    });
    const tree = await rawTree([...entries, extra]);
    const commit = await out(["commit-tree", tree, "-p", "origin/main", "-m", `add ${extra.name}`]);
    return { commit, tree };
  }

  beforeAll(async () => {
    server = await startBerthServer({ dialect: "sqlite" });
    ctx = await server.openContext();
    const alice = await seedUser(ctx, "alice");
    repo = await seedRepo(ctx, alice, "alice/paths");
    const token = await seedToken(ctx, alice, { role: "write" });
    remote = `http://hf_user:${token}@${new URL(server.url).host}/alice/paths`;
    home = mkdtempSync(path.join(tmpdir(), "berth-git-paths-"));
    work = path.join(home, "work");
    await gitOk(home, ["clone", "-q", remote, work]);
    writeFileSync(path.join(home, "blob.txt"), "content\n");
    blob = await out(["hash-object", "-w", path.join(home, "blob.txt")]);
  }, 120_000);

  afterAll(async () => {
    await ctx?.close();
    await server?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it.each([
    ["a file named ..", "100644", "..", /hasDotdot/],
    ["a file named .git", "100644", ".git", /hasDotgit/],
    ["a file named .GIT", "100644", ".GIT", /hasDotgit/],
    ["a file named .git.", "100644", ".git.", /hasDotgit/],
    ["an entry named ../../../tmp/x", "100644", "../../../tmp/x", /fullPathname/],
    ["a .gitmodules symlink", "120000", ".gitmodules", /gitmodulesSymlink/],
    [
      "a file named .git~1",
      "100644",
      ".git~1",
      /".git~1" in [0-9a-f]{12}: Path has a component that Windows reads as \.git/,
    ],
    ["a file named a\\b", "100644", "a\\b", /"a\\\\b" in [0-9a-f]{12}: Path contains a backslash/],
  ])("refuses a push adding %s and keeps nothing of it", async (_label, mode, name, reason) => {
    const before = await serverHead();
    const { commit, tree } = await commitAdding({ mode, name, oid: blob });
    const run = await git(home, ["push", remote, `${commit}:refs/heads/main`], work);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(reason);
    expect(run.stderr).toMatch(/remote: /);
    expect(run.stderr).toMatch(/\[remote rejected\] .* -> main \((pre-receive hook declined|unpacker error)\)/);
    expect(await serverHead()).toBe(before);
    expect(await serverHas(commit)).toBe(false);
    expect(await serverHas(tree)).toBe(false);
  });

  it("refuses a whole push when one of its refs brings a bad path, through a tag of a tree too", async () => {
    const before = await serverHead();
    await gitOk(home, ["checkout", "-q", "-B", "good", "origin/main"], work);
    writeFileSync(path.join(work, "good.txt"), "fine\n");
    await gitOk(home, ["add", "good.txt"], work);
    await gitOk(home, ["commit", "-q", "-m", "good"], work);
    const good = await out(["rev-parse", "HEAD"]);
    const bad = await rawTree([
      { mode: "40000", name: ".git~1", oid: await rawTree([{ mode: "100644", name: "config", oid: blob }]) },
    ]);
    await gitOk(home, ["tag", "-f", "-a", "-m", "a tree", "tree-tag", bad], work);
    const run = await git(home, ["push", remote, "HEAD:refs/heads/main", "refs/tags/tree-tag"], work);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/remote: Berth refused this push/);
    expect(run.stderr).toMatch(/".git~1" in [0-9a-f]{12}: Path has a component that Windows reads as \.git/);
    expect(await serverHead()).toBe(before);
    expect(await serverHas(good)).toBe(false);
    const tags = await runGit(["tag", "--list"], { cwd: ctx.storage.pathOf("model", repo.id) });
    expect(tags.stdout.toString()).toBe("");
  });

  it("refuses refs outside branches, tags and pull requests, and the deletion of main", async () => {
    const before = await serverHead();
    await gitOk(home, ["checkout", "-q", "-B", "other", "origin/main"], work);
    writeFileSync(path.join(work, "other.txt"), "other\n");
    await gitOk(home, ["add", "other.txt"], work);
    await gitOk(home, ["commit", "-q", "-m", "other"], work);
    // A replace ref would change what main's commit id means to every reader of the repo.
    const replace = await git(home, ["push", remote, `HEAD:refs/replace/${before}`], work);
    expect(replace.code).not.toBe(0);
    expect(replace.stderr).toMatch(/only branches \(refs\/heads\/\), tags \(refs\/tags\/\) and pull requests/);
    const removeMain = await git(home, ["push", remote, ":refs/heads/main"], work);
    expect(removeMain.code).not.toBe(0);
    expect(removeMain.stderr).toMatch(/the main branch cannot be deleted/);
    expect(await serverHead()).toBe(before);
    const refs = await runGit(["for-each-ref", "--format=%(refname)"], { cwd: ctx.storage.pathOf("model", repo.id) });
    expect(refs.stdout.toString().trim()).toBe("refs/heads/main");
  });

  it("still takes a normal push, here of 3000 files with dotted names git allows", async () => {
    await gitOk(home, ["checkout", "-q", "-B", "many", "origin/main"], work);
    for (const dir of ["data", ".github/workflows", "modèle"]) mkdirSync(path.join(work, dir), { recursive: true });
    for (let i = 0; i < 3000; i++) writeFileSync(path.join(work, "data", `f${i}.txt`), `${i}\n`);
    for (const name of [
      ".github/workflows/x.yml",
      ".gitignore",
      ".gitkeep",
      "git~2",
      "foo.git",
      "a..b",
      "modèle/权重.bin",
    ]) {
      writeFileSync(path.join(work, name), "x\n");
    }
    await gitOk(home, ["add", "-A"], work);
    await gitOk(home, ["commit", "-q", "-m", "many files"], work);
    const head = await out(["rev-parse", "HEAD"]);
    await gitOk(home, ["push", "-q", remote, "HEAD:refs/heads/main"], work);
    expect(await serverHead()).toBe(head);
  }, 120_000);
});
