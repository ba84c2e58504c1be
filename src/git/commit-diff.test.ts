import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { blobSha, commitFiles, lfsPointer } from "../../test/helpers/repo-content.ts";
import { seedRepo, seedUser } from "../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../test/helpers/test-context.ts";
import type { Repo } from "../domain/entities.ts";
import { readCommitChanges } from "./commit-diff.ts";
import { countCommits, lastCommits, listCommits, readCommit } from "./commit-log.ts";
import { gitOrThrow } from "./git-command.ts";

describe("commit changes and history of a path", () => {
  let ctx: TestContext;
  let repo: Repo;
  let dir: string;
  beforeEach(async () => {
    ctx = await makeTestContext("sqlite");
    const alice = await seedUser(ctx, "alice");
    repo = await seedRepo(ctx, alice, "alice/repo");
    dir = ctx.storage.pathOf(repo.type, repo.id);
  });
  afterEach(async () => ctx.dispose());

  it("lists what a commit changed: text as hunks git agrees with, binary and LFS as blobs and sizes", async () => {
    const weights = Buffer.alloc(5000, 1);
    const first = await commitFiles(ctx, repo, [
      { path: "config.json", content: '{\n  "a": 1,\n  "b": 2\n}\n' },
      { path: "image.png", content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]) },
      { path: "model.bin", content: weights, lfs: true },
      { path: "gone.txt", content: "bye\n" },
    ]);
    const newWeights = Buffer.alloc(6000, 2);
    const second = await commitFiles(
      ctx,
      repo,
      [
        { path: "config.json", content: '{\n  "a": 1,\n  "b": 3\n}\n' },
        { path: "image.png", content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 9]) },
        { path: "model.bin", content: newWeights, lfs: true },
        { path: "dir with space/new.txt", content: "hello\n" },
      ],
      { deletes: ["gone.txt"], message: "Second\n\nwith a body" },
    );
    const details = await readCommit(dir, second);
    expect(details).toMatchObject({ id: second, title: "Second", message: "Second\n\nwith a body", parents: [first] });
    const changes = await readCommitChanges(dir, second, first);
    expect(changes.truncated).toBe(false);
    const byPath = new Map(changes.files.map((f) => [f.path, f]));
    expect([...byPath.keys()].sort()).toEqual([
      "config.json",
      "dir with space/new.txt",
      "gone.txt",
      "image.png",
      "model.bin",
    ]);

    const config = byPath.get("config.json");
    expect(config?.status).toBe("modified");
    if (config?.body.type !== "text") throw new Error("config.json should be a text diff");
    const unified = config.body.hunks.flatMap((h) => [
      `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`,
      ...h.lines.map((l) => `${l.type === "context" ? " " : l.type === "delete" ? "-" : "+"}${l.text}`),
    ]);
    const git = (await gitOrThrow(["diff", "-U3", first, second, "--", "config.json"], { cwd: dir }))
      .toString()
      .split("\n")
      .filter((line) => /^[-+ @]/.test(line) && !line.startsWith("---") && !line.startsWith("+++"));
    expect(unified).toEqual(git.map((line) => (line.startsWith("@@") ? line.replace(/ @@.*$/, " @@") : line)));

    expect(byPath.get("image.png")?.body).toEqual({ type: "binary" });
    const model = byPath.get("model.bin");
    expect(model?.body).toEqual({ type: "lfs" });
    expect(model?.old?.lfs).toEqual({ oid: lfsPointer(weights).oid, size: 5000 });
    expect(model?.new?.lfs).toEqual({ oid: lfsPointer(newWeights).oid, size: 6000 });
    expect(byPath.get("gone.txt")).toMatchObject({
      status: "deleted",
      new: undefined,
      old: { blob: blobSha("bye\n") },
    });
    expect(byPath.get("dir with space/new.txt")).toMatchObject({ status: "added", old: undefined });

    // The first commit of all is diffed against the empty tree.
    const root = await readCommit(dir, (await readCommit(dir, first))?.parents[0] ?? "");
    const initial = await readCommitChanges(dir, root?.id ?? "", undefined);
    expect(initial.files.map((f) => [f.path, f.status])).toEqual([[".gitattributes", "added"]]);
  });

  it("lists and counts the history of one path, a literal path even with pattern characters", async () => {
    await commitFiles(ctx, repo, [{ path: "a*.txt", content: "1" }]);
    await commitFiles(ctx, repo, [{ path: "ab.txt", content: "2" }]);
    const head = await commitFiles(ctx, repo, [{ path: "a*.txt", content: "3" }], { message: "third" });
    expect(await countCommits(dir, head)).toBe(4);
    expect(await countCommits(dir, head, "a*.txt")).toBe(2);
    const history = await listCommits(dir, head, { skip: 0, limit: 10 }, "a*.txt");
    expect(history.map((c) => c.title)).toEqual(["third", "update files"]);
    expect(await readCommit(dir, "0".repeat(40))).toBeUndefined();
  });

  it("stops the last-commit walk after the given number of commits", async () => {
    await commitFiles(ctx, repo, [{ path: "old.txt", content: "1" }]);
    const head = await commitFiles(ctx, repo, [{ path: "new.txt", content: "2" }], { message: "newest" });
    const bounded = await lastCommits(dir, head, ["old.txt", "new.txt"], 1);
    expect([...bounded.keys()]).toEqual(["new.txt"]);
    const full = await lastCommits(dir, head, ["old.txt", "new.txt"]);
    expect([...full.keys()].sort()).toEqual(["new.txt", "old.txt"]);
  });
});
