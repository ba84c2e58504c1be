import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type RawTreeEntry, writeRawTree } from "../../test/helpers/raw-tree.ts";
import { gitOrThrow } from "./git-command.ts";
import { checkPushedPaths, describeRefusal, parseRefUpdates, type RefUpdate } from "./pushed-paths.ts";

const ZERO = "0".repeat(40);

describe("checkPushedPaths against a real repository", () => {
  let dir: string;
  let blob: string;
  let clock = 1_700_000_000;

  const git = async (args: string[], input?: string | Buffer) =>
    (await gitOrThrow(args, { cwd: dir, ...(input === undefined ? {} : { input }) })).toString("utf8").trim();

  const tree = (entries: readonly RawTreeEntry[]) => writeRawTree(dir, entries);
  const file = (name: string | Buffer, oid = blob): RawTreeEntry => ({ mode: "100644", name, oid });
  const dirEntry = (name: string, oid: string): RawTreeEntry => ({ mode: "40000", name, oid });
  const commit = async (treeOid: string, ...parents: string[]) => {
    clock += 60;
    return git(["commit-tree", treeOid, ...parents.flatMap((p) => ["-p", p]), "-m", `commit ${clock}`], undefined);
  };
  const created = (newOid: string, ref = "refs/heads/main"): RefUpdate => ({ oldOid: ZERO, newOid, ref });
  const paths = async (updates: RefUpdate[], limit?: number) =>
    (await checkPushedPaths(updates, { cwd: dir, ...(limit ? { limit } : {}) })).refused.map((r) => r.path);

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "berth-pushed-paths-"));
    await gitOrThrow(["init", "--quiet", "--bare", dir]);
    for (const [key, value] of [
      ["user.name", "Test"],
      ["user.email", "test@example.test"],
    ]) {
      await git(["config", key as string, value as string]);
    }
    blob = await git(["hash-object", "-w", "--stdin"], "content\n");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ["..", "100644", 'Path has a ".." segment'],
    [".git", "100644", "Path has a .git component"],
    [".GIT", "100644", "Path has a .git component"],
    [".git.", "100644", "Path has a component that Windows reads as .git"],
    ["git~1", "100644", "Path has a component that Windows reads as .git"],
    [".git~1", "100644", "Path has a component that Windows reads as .git"],
    [".g\u200cit", "100644", "Path has a component that macOS reads as .git"],
    ["../../../tmp/x", "100644", 'Path has a ".." segment'],
    ["a\\b", "100644", "Path contains a backslash"],
    ["a\nb", "100644", "Path contains a control character"],
    [".gitmodules", "120000", "Path is a symbolic link named .gitmodules"],
    ["GITMOD~1", "120000", "Path is a symbolic link named .gitmodules"],
  ])("refuses a root commit whose tree holds %j (mode %s)", async (name, mode, problem) => {
    const root = await commit(await tree([file("README.md"), { mode, name, oid: blob }]));
    const { refused, truncated } = await checkPushedPaths([created(root)], { cwd: dir });
    expect(refused).toEqual([{ path: name, where: root, problem }]);
    expect(truncated).toBe(false);
  });

  it("refuses an empty directory named `..` and a bad name deep inside a later commit, naming that commit", async () => {
    const empty = await tree([]);
    const first = await commit(await tree([file("a.txt")]));
    const second = await commit(await tree([file("a.txt"), dirEntry("..", empty)]), first);
    const inner = await tree([dirEntry("git~1", await tree([file("config")]))]);
    const third = await commit(await tree([file("a.txt"), dirEntry("models", inner)]), second);
    const { refused } = await checkPushedPaths([created(third)], { cwd: dir });
    expect(refused.map((r) => [r.path, r.where])).toEqual([
      ["models/git~1", third],
      ["models/git~1/config", third],
      ["..", second],
    ]);
  });

  it("refuses a name that is not UTF-8 and shows it escaped", async () => {
    const root = await commit(await tree([file(Buffer.from([0x66, 0xff, 0x0a]))]));
    const { refused } = await checkPushedPaths([created(root)], { cwd: dir });
    expect(refused.map((r) => r.problem)).toEqual(["Path is not valid UTF-8"]);
    expect(describeRefusal({ path: "a\u202eb\nc", where: root, problem: "x" })).toBe(
      `"a\\u202eb\\nc" in ${root.slice(0, 12)}: x`,
    );
  });

  it("accepts a normal history with a merge, a deletion, and a new ref at a commit already there", async () => {
    const base = await commit(
      await tree([file(".gitattributes"), dirEntry(".github", await tree([file("x.yml")])), file("README.md")]),
    );
    const side = await commit(await tree([file("foo.git"), file("git~2")]), base);
    const main = await commit(await tree([file("a..b"), dirEntry("modèle", await tree([file("权重.bin")]))]), base);
    const merge = await commit(await tree([file("a..b"), file("foo.git"), file("git~2")]), main, side);
    expect(await paths([created(merge)])).toEqual([]);
    await git(["update-ref", "refs/heads/main", merge]);
    expect(await paths([{ oldOid: merge, newOid: ZERO, ref: "refs/heads/main" }])).toEqual([]);
    expect(await paths([created(base, "refs/tags/v1")])).toEqual([]);
  });

  it("finds a bad path that only a merge's second parent brings in", async () => {
    const base = await commit(await tree([file("a")]));
    await git(["update-ref", "refs/heads/main", base]);
    const side = await commit(await tree([file("a"), file(".git.")]), base);
    const merge = await commit(await tree([file("a"), file(".git.")]), base, side);
    expect(await paths([{ oldOid: base, newOid: merge, ref: "refs/heads/main" }])).toEqual([".git."]);
  });

  it("leaves the bad paths of commits already in the repo alone, lets a push delete them, refuses a change to them", async () => {
    const legacy = await commit(await tree([file("a"), file(".git~1")]));
    await git(["update-ref", "refs/heads/main", legacy]);
    const unrelated = await commit(await tree([file("a"), file("b"), file(".git~1")]), legacy);
    const deleted = await commit(await tree([file("a")]), legacy);
    const other = await git(["hash-object", "-w", "--stdin"], "changed\n");
    const changed = await commit(await tree([file("a"), file(".git~1", other)]), legacy);
    const update = (newOid: string) => [{ oldOid: legacy, newOid, ref: "refs/heads/main" }];
    expect(await paths(update(unrelated))).toEqual([]);
    expect(await paths(update(deleted))).toEqual([]);
    expect(await paths(update(changed))).toEqual([".git~1"]);
  });

  it("follows annotated tags to commits and to trees, and lets a tag of a blob through", async () => {
    const bad = await tree([file("GIT~1")]);
    const tag = (object: string, type: string) =>
      git(["mktag"], `object ${object}\ntype ${type}\ntag t\ntagger Test <t@example.test> 1700000000 +0000\n\nt\n`);
    const treeTag = await tag(bad, "tree");
    const tagOfTag = await tag(treeTag, "tag");
    const commitTag = await tag(await commit(bad), "commit");
    expect(await paths([created(tagOfTag, "refs/tags/a")])).toEqual(["GIT~1"]);
    expect(await paths([created(commitTag, "refs/tags/b")])).toEqual(["GIT~1"]);
    expect(await paths([created(await tag(blob, "blob"), "refs/tags/c")])).toEqual([]);
  });

  it("looks through replace refs: a pushed refs/replace/<bad> cannot vouch for the bad commit", async () => {
    const bad = await commit(await tree([file(".git~1")]));
    const good = await commit(await tree([file("fine")]));
    await git(["update-ref", `refs/replace/${bad}`, good]);
    expect(await paths([created(bad)])).toEqual([".git~1"]);
    const badTree = await tree([file("git~1.")]);
    await git(["update-ref", `refs/replace/${badTree}`, good]);
    expect(await paths([created(badTree, "refs/tags/t")])).toEqual(["git~1."]);
  });

  it("stops after `limit` refused paths and says it did", async () => {
    const entries = Array.from({ length: 30 }, (_, i) => file(`bad\\${String(i).padStart(2, "0")}`));
    const root = await commit(await tree(entries));
    const check = await checkPushedPaths([created(root)], { cwd: dir, limit: 5 });
    expect(check.refused).toHaveLength(5);
    expect(check.truncated).toBe(true);
  });

  it("checks a push of 3000 commits and finds the one bad path at the bottom", async () => {
    const who = "Test <t@example.test> 1700000000 +0000";
    const stream = [`commit refs/heads/import\ncommitter ${who}\ndata 1\nx\nM 100644 inline .git~1/x\ndata 1\nx\n`];
    for (let i = 0; i < 3000; i++)
      stream.push(`commit refs/heads/import\ncommitter ${who}\ndata 1\nx\nM 100644 inline f${i}\ndata 1\nx\n`);
    await git(["fast-import", "--quiet"], stream.join(""));
    const top = await git(["rev-parse", "refs/heads/import"]);
    await git(["update-ref", "-d", "refs/heads/import"]);
    expect(await paths([created(top)])).toEqual([".git~1", ".git~1/x"]);
  });

  it("refuses what it cannot check", async () => {
    await expect(checkPushedPaths([created("1".repeat(40))], { cwd: dir })).rejects.toThrow(/missing/);
    expect(() => parseRefUpdates("garbage\n")).toThrow();
    expect(parseRefUpdates(`${ZERO} ${"a".repeat(40)} refs/heads/main\n`)).toEqual([
      { oldOid: ZERO, newOid: "a".repeat(40), ref: "refs/heads/main" },
    ]);
  });
});
