import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { commitFiles } from "../../test/helpers/repo-content.ts";
import { seedRepo, seedUser } from "../../test/helpers/seed.ts";
import { makeTestContext, type TestContext } from "../../test/helpers/test-context.ts";
import { gitOrThrow } from "./git-command.ts";
import { createTagObject, deleteRef, listRefNames, listRefs, readRef, updateRef } from "./ref-store.ts";

describe("ref-store", () => {
  let ctx: TestContext;
  let dir: string;
  let main: string;
  beforeEach(async () => {
    ctx = await makeTestContext("sqlite");
    const alice = await seedUser(ctx, "alice");
    const repo = await seedRepo(ctx, alice, "alice/repo");
    dir = ctx.storage.pathOf(repo.type, repo.id);
    main = await commitFiles(ctx, repo, [{ path: "a", content: "a" }]);
    await commitFiles(ctx, repo, [{ path: "b", content: "b" }], { branch: "feature/x" });
    await commitFiles(ctx, repo, [{ path: "c", content: "c" }], { branch: "refs/pr/3" });
  });
  afterEach(async () => ctx.dispose());

  it("reads ref names from loose and packed refs without git", async () => {
    const loose = await listRefNames(dir);
    await gitOrThrow(["pack-refs", "--all"], { cwd: dir });
    const packed = await listRefNames(dir);
    for (const names of [loose, packed]) {
      expect(names).toEqual(
        expect.arrayContaining(["main", "refs/heads/main", "feature/x", "refs/heads/feature/x", "refs/pr/3"]),
      );
    }
  });

  it("changes a ref only from the expected old value", async () => {
    expect(await updateRef(dir, "refs/heads/dev", main, undefined)).toBe(true);
    expect(await updateRef(dir, "refs/heads/dev", main, undefined)).toBe(false);
    const stale = "1".repeat(40);
    expect(await deleteRef(dir, "refs/heads/dev", stale)).toBe(false);
    expect(await deleteRef(dir, "refs/heads/dev", main)).toBe(true);
    expect(await readRef(dir, "refs/heads/dev")).toBeUndefined();
  });

  it("lists annotated tags peeled to their commit", async () => {
    const tag = await createTagObject(dir, main, "v1", "Release", { name: "alice", email: "a@x" }, new Date());
    expect(tag).not.toBe(main);
    expect(await updateRef(dir, "refs/tags/v1", tag, undefined)).toBe(true);
    expect(await readRef(dir, "refs/tags/v1")).toBe(tag);
    expect((await listRefs(dir)).find((r) => r.ref === "refs/tags/v1")?.commit).toBe(main);
  });
});
