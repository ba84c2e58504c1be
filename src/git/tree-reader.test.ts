import { text } from "node:stream/consumers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { blobSha, commitFiles, lfsPointer } from "../../test/helpers/repo-content.ts";
import { seedRepo, seedUser } from "../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../test/helpers/test-context.ts";
import type { Repo } from "../domain/entities.ts";
import { readBlob } from "./blob-reader.ts";
import { countCommits, lastCommits, listCommits } from "./commit-log.ts";
import { parseLfsPointer, TreeReader } from "./tree-reader.ts";

describe("parseLfsPointer", () => {
  it("reads oid and size of a pointer", () => {
    const { oid, text: pointer } = lfsPointer(Buffer.from("hello"));
    expect(parseLfsPointer(Buffer.from(pointer))).toEqual({ oid, size: 5 });
  });
  it.each([
    ["not a pointer at all, just some text that is long enough to be a candidate, really it is".repeat(2)],
    [`version https://git-lfs.github.com/spec/v1\noid sha256:${"a".repeat(63)}\nsize 5\n`],
    [`version https://git-lfs.github.com/spec/v1\noid sha256:${"a".repeat(64)}\nsize five\n`],
    [`version https://git-lfs.github.com/spec/v1\noid sha256:${"a".repeat(64)}\nsize 5`],
    [`version https://git-lfs.github.com/spec/v1\noid sha256:${"a".repeat(64)}\nsize 5\n${"x".repeat(1024)}\n`],
  ])("rejects %j", (blob) => {
    expect(parseLfsPointer(Buffer.from(blob))).toBeUndefined();
  });
});

describe("TreeReader and the commit log", () => {
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

  it("lists files and directories with sizes and LFS pointers, once per commit", async () => {
    const big = Buffer.alloc(3000, 7);
    const commit = await commitFiles(ctx, repo, [
      { path: "config.json", content: '{"a":1}' },
      { path: "sub/dir/deep.txt", content: "deep" },
      { path: "model.bin", content: big, lfs: true },
      { path: "fake.txt", content: `version https://git-lfs.github.com/spec/v1\nnot a pointer ${"x".repeat(100)}\n` },
    ]);
    const reader = new TreeReader(ctx.objects);
    const tree = await reader.read(dir, commit);
    expect(tree.byPath.get("config.json")).toEqual({
      type: "file",
      path: "config.json",
      oid: blobSha('{"a":1}'),
      size: 7,
    });
    const pointer = lfsPointer(big);
    expect(tree.byPath.get("model.bin")).toEqual({
      type: "file",
      path: "model.bin",
      oid: blobSha(pointer.text),
      size: 3000,
      lfs: { oid: pointer.oid, size: 3000, pointerSize: pointer.text.length },
    });
    expect(tree.byPath.get("fake.txt")?.lfs).toBeUndefined();
    expect(tree.byPath.get("sub")).toMatchObject({ type: "directory", size: 0 });
    expect(tree.children.get("")?.map((e) => e.path)).toEqual([
      ".gitattributes",
      "config.json",
      "fake.txt",
      "model.bin",
      "sub",
    ]);
    expect(tree.children.get("sub")?.map((e) => e.path)).toEqual(["sub/dir"]);
    expect(tree.entries.map((e) => e.path)).toContain("sub/dir/deep.txt");

    expect(reader.has(dir, commit)).toBe(true);
    expect(reader.has("/elsewhere.git", commit)).toBe(false);
    await reader.read(dir, commit);
    expect(reader.parses).toBe(1);
  });

  it("evicts the least recently used trees beyond its entry budget", async () => {
    const first = await commitFiles(ctx, repo, [{ path: "a.txt", content: "a" }]);
    const second = await commitFiles(ctx, repo, [{ path: "b.txt", content: "b" }]);
    const reader = new TreeReader(ctx.objects, { maxEntries: 4 });
    await reader.read(dir, first);
    await reader.read(dir, second);
    await new Promise((resolve) => setImmediate(resolve));
    expect(reader.has(dir, second)).toBe(true);
    expect(reader.has(dir, first)).toBe(false);
  });

  it("streams a blob whole or by range", async () => {
    const content = "0123456789".repeat(10_000);
    const commit = await commitFiles(ctx, repo, [{ path: "digits.txt", content }]);
    const entry = (await new TreeReader(ctx.objects).read(dir, commit)).byPath.get("digits.txt");
    if (!entry) throw new Error("missing");
    expect(await text(readBlob(dir, entry.oid))).toBe(content);
    expect(await text(readBlob(dir, entry.oid, { start: 5, end: 14 }))).toBe("5678901234");
    expect(await text(readBlob(dir, entry.oid, { start: 99_990, end: 99_999 }))).toBe("0123456789");
  });

  it("lists commits newest first, counts them and finds the last commit of each path", async () => {
    ctx.advance(1000);
    const second = await commitFiles(ctx, repo, [{ path: "a/x.txt", content: "x" }], {
      message: "Add x\n\nWith a body",
    });
    ctx.advance(1000);
    const third = await commitFiles(ctx, repo, [{ path: "b.txt", content: "b" }], { message: "Add b" });
    expect(await countCommits(dir, third)).toBe(3);
    const all = await listCommits(dir, third, { skip: 0, limit: 10 });
    expect(all.map((c) => c.title)).toEqual(["Add b", "Add x", "initial commit"]);
    expect(all[1]).toMatchObject({ id: second, message: "Add x\n\nWith a body", authorName: "alice" });
    expect((await listCommits(dir, third, { skip: 1, limit: 1 })).map((c) => c.id)).toEqual([second]);

    const last = await lastCommits(dir, third, ["a", "a/x.txt", "b.txt", ".gitattributes"]);
    expect(last.get("a")?.id).toBe(second);
    expect(last.get("a/x.txt")?.title).toBe("Add x");
    expect(last.get("b.txt")?.id).toBe(third);
    expect(last.get(".gitattributes")?.title).toBe("initial commit");
  });
});
