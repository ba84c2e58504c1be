import { createHash } from "node:crypto";
import { utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../test/helpers/databases.ts";
import { seedRepo, seedUser } from "../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../test/helpers/test-context.ts";
import type { Context } from "../context.ts";
import type { Repo, User } from "../domain/entities.ts";
import { HubError } from "../errors.ts";
import { linkLfsObject } from "../store/lfs-objects.ts";
import { type CommitOperation, type CommitRequest, STALE_PARENT, writeCommit } from "./commit-writer.ts";
import { gitOrThrow } from "./git-command.ts";
import { RepoStorage } from "./repo-storage.ts";

const author = { name: "alice", email: "alice@example.test" };

function request(operations: CommitOperation[], extra: Partial<CommitRequest> = {}): CommitRequest {
  return {
    target: { type: "ref", ref: "refs/heads/main" },
    operations,
    summary: "Update",
    description: "",
    author,
    lfsReferences: "readable",
    ...extra,
  };
}

const file = (p: string, text: string): CommitOperation => ({ type: "file", path: p, content: Buffer.from(text) });

describe.each(testDialects())("writeCommit on %s", (dialect) => {
  let ctx: TestContext;
  let alice: User;
  let repo: Repo;
  let dir: string;
  const git = async (...args: string[]) => (await gitOrThrow(args, { cwd: dir })).toString("utf8");
  const head = async (ref = "main") => (await git("rev-parse", ref)).trim();
  const show = async (rev: string, p: string) => git("show", `${rev}:${p}`);
  const files = async (rev = "main") =>
    (await git("ls-tree", "-r", "-z", "--name-only", rev)).split("\0").filter(Boolean);

  async function expectError(promise: Promise<unknown>, status: number): Promise<HubError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HubError);
    expect((error as HubError).status).toBe(status);
    return error as HubError;
  }

  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    alice = await seedUser(ctx, "alice");
    repo = await seedRepo(ctx, alice, "alice/model");
    dir = ctx.storage.pathOf(repo.type, repo.id);
  });
  afterEach(async () => ctx.dispose());

  it("adds, replaces and deletes files and folders in one commit with the user as author", async () => {
    await writeCommit(ctx, repo, request([file("a.txt", "one"), file("dir/x.txt", "x"), file("dir/sub/y.txt", "y")]));
    const before = await head();
    const result = await writeCommit(
      ctx,
      repo,
      request(
        [file("a.txt", "two"), { type: "delete", path: "dir/sub" }, file("b/c.txt", "c"), file("ünï code.txt", "u")],
        { summary: "Second", description: "Details here" },
      ),
    );
    expect(result).toEqual({ commit: await head(), ref: "refs/heads/main" });
    expect((await git("rev-parse", `${result.commit}^`)).trim()).toBe(before);
    expect(await files()).toEqual([".gitattributes", "a.txt", "b/c.txt", "dir/x.txt", "ünï code.txt"]);
    expect(await show("main", "a.txt")).toBe("two");
    expect(await git("log", "-1", "--format=%an <%ae>%n%s%n%b", "main")).toBe(
      "alice <alice@example.test>\nSecond\nDetails here\n\n",
    );
    // A deletedFile on a folder deletes it recursively (a Python test relies on it).
    await writeCommit(ctx, repo, request([{ type: "delete", path: "dir" }]));
    expect(await files()).toEqual([".gitattributes", "a.txt", "b/c.txt", "ünï code.txt"]);
  });

  it("commits LFS pointers the repo holds and covers them in .gitattributes", async () => {
    const oid = createHash("sha256").update("big").digest("hex");
    await linkLfsObject(ctx.db, repo.id, oid, 3, ctx.now());
    await writeCommit(
      ctx,
      repo,
      request([
        { type: "lfsFile", path: "weights.bin", oid, size: 3 },
        { type: "lfsFile", path: "data/blob", oid },
      ]),
    );
    const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize 3\n`;
    expect(await show("main", "weights.bin")).toBe(pointer);
    expect(await show("main", "data/blob")).toBe(pointer);
    const attributes = await show("main", ".gitattributes");
    expect(attributes).toContain("*.bin filter=lfs");
    expect(attributes.endsWith("data/blob filter=lfs diff=lfs merge=lfs -text\n")).toBe(true);
    expect(attributes).not.toContain("weights.bin filter");
    // git itself agrees that both paths are LFS paths.
    const env = { GIT_INDEX_FILE: path.join(ctx.config.dataDir, "tmp", "check-attr.index") };
    await gitOrThrow(["read-tree", "main"], { cwd: dir, env });
    const checked = (
      await gitOrThrow(["check-attr", "--cached", "filter", "--", "weights.bin", "data/blob"], { cwd: dir, env })
    ).toString("utf8");
    expect(checked).toBe("weights.bin: filter: lfs\ndata/blob: filter: lfs\n");
  });

  it("refuses an LFS object this repo does not hold, even when another repo does", async () => {
    const other = await seedRepo(ctx, alice, "alice/other");
    const oid = createHash("sha256").update("secret").digest("hex");
    await linkLfsObject(ctx.db, other.id, oid, 6, ctx.now());
    const before = await head();
    const error = await expectError(
      writeCommit(ctx, repo, request([{ type: "lfsFile", path: "x.bin", oid, size: 6 }])),
      422,
    );
    expect(error.message).toContain("x.bin");
    await linkLfsObject(ctx.db, repo.id, oid, 6, ctx.now());
    await expectError(writeCommit(ctx, repo, request([{ type: "lfsFile", path: "x.bin", oid, size: 7 }])), 422);
    expect(await head()).toBe(before);
  });

  it.each(["..\\ddd", "../x", "/abs", ".git/config", "a//b", "a\0b"])(
    "refuses the path %j with 422 and writes nothing",
    async (bad) => {
      const before = await head();
      const objects = await git("count-objects");
      await expectError(writeCommit(ctx, repo, request([file("fine.txt", "ok"), file(bad, "no")])), 422);
      expect(await head()).toBe(before);
      expect(await git("count-objects")).toBe(objects);
    },
  );

  it("is all or nothing: a missing path to delete or a file/folder clash leaves the branch alone", async () => {
    await writeCommit(ctx, repo, request([file("dir/x.txt", "x")]));
    const before = await head();
    await expectError(writeCommit(ctx, repo, request([file("new.txt", "n"), { type: "delete", path: "nope" }])), 404);
    await expectError(writeCommit(ctx, repo, request([file("dir", "clash")])), 422);
    await expectError(writeCommit(ctx, repo, request([file("dir/x.txt/y", "clash")])), 422);
    expect(await head()).toBe(before);
    // Replacing the folder by a file in the same commit is fine.
    await writeCommit(ctx, repo, request([{ type: "delete", path: "dir" }, file("dir", "now a file")]));
    expect(await show("main", "dir")).toBe("now a file");
  });

  it("answers 412 for a stale parentCommit and 404 for a missing branch", async () => {
    const first = await head();
    await writeCommit(ctx, repo, request([file("a", "1")], { parentCommit: first }));
    const error = await expectError(writeCommit(ctx, repo, request([file("a", "2")], { parentCommit: first })), 412);
    expect(error.message).toBe(STALE_PARENT);
    const missing = await expectError(
      writeCommit(ctx, repo, request([file("a", "2")], { target: { type: "ref", ref: "refs/heads/nope" } })),
      404,
    );
    expect(missing.code).toBe("RevisionNotFound");
  });

  it("lands every one of 10 concurrent commits to one branch", async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => writeCommit(ctx, repo, request([file(`f${i}.txt`, String(i))]))),
    );
    const history = (await git("rev-list", "main")).split("\n").filter(Boolean);
    expect(history).toHaveLength(11);
    for (const result of results) expect(history).toContain(result.commit);
    expect(await files()).toHaveLength(11);
  });

  it("with parentCommit, lets exactly one of 10 concurrent commits win and answers 412 to the rest", async () => {
    const parent = await head();
    const settled = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        writeCommit(ctx, repo, request([file(`f${i}.txt`, String(i))], { parentCommit: parent })),
      ),
    );
    const won = settled.filter((s) => s.status === "fulfilled");
    expect(won).toHaveLength(1);
    for (const s of settled) {
      if (s.status === "rejected") expect((s.reason as HubError).status).toBe(412);
    }
    expect((await git("rev-list", "main")).split("\n").filter(Boolean)).toHaveLength(2);
  });

  it("keeps every commit when two storages (two processes) race on one branch through the CAS", async () => {
    const other: Context = { ...ctx, storage: new RepoStorage(ctx.config.dataDir) };
    const writes = Array.from({ length: 16 }, (_, i) =>
      writeCommit(i % 2 === 0 ? ctx : other, repo, request([file(`p${i}.txt`, String(i))])),
    );
    const results = await Promise.all(writes);
    const history = (await git("rev-list", "main")).split("\n").filter(Boolean);
    expect(history).toHaveLength(17);
    for (const result of results) expect(history).toContain(result.commit);
    expect(await files()).toHaveLength(17);
  });

  it("opens pull requests as refs/pr/N from the branch head and leaves main untouched", async () => {
    const main = await head();
    const first = await writeCommit(
      ctx,
      repo,
      request([file("pr.txt", "1")], { target: { type: "pull-request", from: "refs/heads/main" } }),
    );
    expect(first).toMatchObject({ ref: "refs/pr/1", pullRequest: 1 });
    const second = await writeCommit(
      ctx,
      repo,
      request([file("pr.txt", "2")], { target: { type: "pull-request", from: "refs/heads/main" } }),
    );
    expect(second.pullRequest).toBe(2);
    await writeCommit(ctx, repo, request([file("more.txt", "m")], { target: { type: "ref", ref: "refs/pr/1" } }));
    expect(await head()).toBe(main);
    expect(await files("refs/pr/1")).toEqual([".gitattributes", "more.txt", "pr.txt"]);
    expect((await git("rev-parse", "refs/pr/2^")).trim()).toBe(main);
  });

  it("recovers from a ref lock left by a killed process", async () => {
    const lock = path.join(dir, "refs/heads/main.lock");
    writeFileSync(lock, "");
    const old = new Date(Date.now() - 10 * 60_000);
    utimesSync(lock, old, old);
    await writeCommit(ctx, repo, request([file("after-crash.txt", "ok")]));
    expect(await show("main", "after-crash.txt")).toBe("ok");
  });
});
