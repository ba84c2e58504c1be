import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDialects } from "../../../test/helpers/databases.ts";
import { commitFiles } from "../../../test/helpers/repo-content.ts";
import { bearer, seedRepo, seedToken, seedUser } from "../../../test/helpers/seed.ts";
import { makeTestContext, TEST_PUBLIC_URL, type TestContext } from "../../../test/helpers/test-context.ts";
import type { Repo, User } from "../../domain/entities.ts";
import { buildApp } from "../app.ts";

describe.each(testDialects())("refs, commits, branches and tags on %s", (dialect) => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let alice: User;
  let repo: Repo;
  let initial: string;
  let head: string;
  let write: { authorization: string };
  beforeEach(async () => {
    ctx = await makeTestContext(dialect);
    alice = await seedUser(ctx, "alice");
    repo = await seedRepo(ctx, alice, "alice/repo");
    initial = (await ctx.storage.readBranch(repo.type, repo.id, "main")) ?? "";
    ctx.advance(1000);
    await commitFiles(ctx, repo, [{ path: "a.txt", content: "a" }], { message: "Add a" });
    ctx.advance(1000);
    head = await commitFiles(ctx, repo, [{ path: "b.txt", content: "<b>" }], { message: "Add <b>\n\nbody & more" });
    write = bearer(await seedToken(ctx, alice, { role: "write" }));
    app = await buildApp(ctx);
  });
  afterEach(async () => {
    await app.close();
    await ctx.dispose();
  });

  it("lists branches, converts, tags and, when asked, pull requests", async () => {
    const pr = await commitFiles(ctx, repo, [{ path: "p.txt", content: "p" }], { branch: "refs/pr/1" });
    const plain = await app.inject({ url: "/api/models/alice/repo/refs" });
    expect(plain.statusCode).toBe(200);
    expect(plain.json()).toEqual({
      branches: [{ name: "main", ref: "refs/heads/main", targetCommit: head }],
      converts: [],
      tags: [],
    });
    const withPrs = await app.inject({ url: "/api/models/alice/repo/refs?include_prs=True" });
    expect(withPrs.json().pullRequests).toEqual([{ name: "refs/pr/1", ref: "refs/pr/1", targetCommit: pr }]);
  });

  it("lists commits newest first with X-Total-Count and absolute Link pagination", async () => {
    const response = await app.inject({ url: "/api/models/alice/repo/commits/main" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["x-total-count"]).toBe("3");
    const commits = response.json();
    expect(commits.map((c: { title: string }) => c.title)).toEqual(["Add <b>", "Add a", "initial commit"]);
    expect(commits[0]).toMatchObject({ id: head, message: "Add <b>\n\nbody & more", authors: [{ user: "alice" }] });
    expect(commits[0].date).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect(commits[2].id).toBe(initial);

    const ids: string[] = [];
    let url: string | undefined = "/api/models/alice/repo/commits/main?limit=1&expand[]=formatted";
    while (url) {
      const page: Awaited<ReturnType<typeof app.inject>> = await app.inject({ url });
      expect(page.headers["x-total-count"]).toBe("3");
      const [only] = page.json();
      ids.push(only.id);
      expect(only.formatted).toBeDefined();
      const next: string | undefined = /^<([^>]+)>; rel="next"$/.exec(String(page.headers.link ?? ""))?.[1];
      if (next) expect(next.startsWith(`${TEST_PUBLIC_URL}/api/models/alice/repo/commits/`)).toBe(true);
      url = next?.slice(TEST_PUBLIC_URL.length);
    }
    expect(ids).toEqual(commits.map((c: { id: string }) => c.id));
    const first = await app.inject({ url: "/api/models/alice/repo/commits/main?limit=1&expand[]=formatted" });
    expect(first.json()[0].formatted.title).toBe("Add &#60;b&#62;");
  });

  it("answers a page past the end with an empty list and the total, and refuses bad page numbers", async () => {
    for (const query of ["p=3", "p=1&limit=3", "p=999999999", "p=99999999999999999999", "p=6700417&limit=641"]) {
      const response = await app.inject({ url: `/api/models/alice/repo/commits/main?${query}` });
      expect(response.statusCode, query).toBe(200);
      expect(response.json(), query).toEqual([]);
      expect(response.headers["x-total-count"], query).toBe("3");
      expect(response.headers.link, query).toBeUndefined();
    }
    // A huge page size is served as the largest page: everything here.
    const huge = await app.inject({ url: "/api/models/alice/repo/commits/main?limit=99999999999999999999" });
    expect(huge.statusCode).toBe(200);
    expect(huge.json()).toHaveLength(3);
    const last = await app.inject({ url: "/api/models/alice/repo/commits/main?p=2&limit=1" });
    expect(last.json().map((c: { id: string }) => c.id)).toEqual([initial]);
    expect(last.headers.link).toBeUndefined();
    for (const query of ["p=-1", "p=abc", "p=1e3", "p=1&p=2", "limit=0", "limit=-5", "limit=abc", "limit=1e2"]) {
      const response = await app.inject({ url: `/api/models/alice/repo/commits/main?${query}` });
      expect(response.statusCode, query).toBe(400);
      expect(response.json().error, query).toMatch(/^Invalid (p|limit) /);
    }
  });

  it("lists the commits of raw and encoded pull-request revisions, short ids and HEAD", async () => {
    const pr = await commitFiles(ctx, repo, [{ path: "p.txt", content: "p" }], {
      branch: "refs/pr/1",
      parent: head,
      message: "PR change",
    });
    for (const rev of ["refs/pr/1", "refs%2Fpr%2F1"]) {
      const response = await app.inject({ url: `/api/models/alice/repo/commits/${rev}` });
      expect(response.headers["x-total-count"], rev).toBe("4");
      expect(response.json()[0].id).toBe(pr);
    }
    const main = await app.inject({ url: "/api/models/alice/repo/commits/main" });
    expect(main.json().map((c: { id: string }) => c.id)).not.toContain(pr);
    expect(
      (await app.inject({ url: `/api/models/alice/repo/commits/${head.slice(0, 7)}` })).headers["x-total-count"],
    ).toBe("3");
    expect((await app.inject({ url: "/api/models/alice/repo/commits/HEAD" })).json()[0].id).toBe(head);
    const missing = await app.inject({ url: "/api/models/alice/repo/commits/nope" });
    expect([missing.statusCode, missing.headers["x-error-code"]]).toEqual([404, "RevisionNotFound"]);
    const repoMissing = await app.inject({ url: "/api/models/alice/nope/commits/main", headers: write });
    expect([repoMissing.statusCode, repoMissing.headers["x-error-code"]]).toEqual([404, "RepoNotFound"]);
  });

  it("creates, refuses duplicates of, and deletes branches; the new name resolves at once", async () => {
    const create = await app.inject({
      method: "POST",
      url: "/api/models/alice/repo/branch/feature%2Fx",
      headers: write,
      payload: { startingPoint: initial },
    });
    expect(create.statusCode).toBe(200);
    const info = await app.inject({ url: "/api/models/alice/repo/revision/feature%2Fx" });
    expect(info.json().sha).toBe(initial);
    const tree = await app.inject({ url: "/api/models/alice/repo/tree/feature/x" });
    expect(tree.json().map((e: { path: string }) => e.path)).toEqual([".gitattributes"]);

    const again = await app.inject({
      method: "POST",
      url: "/api/models/alice/repo/branch/feature%2Fx",
      headers: write,
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toBe("Reference refs/heads/feature/x already exists");
    const overwrite = await app.inject({
      method: "POST",
      url: "/api/models/alice/repo/branch/feature%2Fx",
      headers: write,
      payload: { overwrite: true },
    });
    expect(overwrite.statusCode).toBe(200);
    expect((await ctx.storage.readBranch(repo.type, repo.id, "feature/x")) ?? "").toBe(head);

    const empty = await app.inject({
      method: "POST",
      url: "/api/models/alice/repo/branch/empty",
      headers: write,
      payload: { emptyBranch: true },
    });
    expect(empty.statusCode).toBe(200);
    expect((await app.inject({ url: "/api/models/alice/repo/tree/empty" })).json()).toEqual([]);
    expect((await app.inject({ url: "/api/models/alice/repo/commits/empty" })).headers["x-total-count"]).toBe("1");

    for (const bad of ["refs%2Fpr%2F5", "invalid%20name", "a..b"]) {
      const response = await app.inject({
        method: "POST",
        url: `/api/models/alice/repo/branch/${bad}`,
        headers: write,
      });
      expect(response.statusCode, bad).toBe(400);
      expect(response.json().error).toContain("Invalid reference for a branch");
    }
    const badStart = await app.inject({
      method: "POST",
      url: "/api/models/alice/repo/branch/other",
      headers: write,
      payload: { startingPoint: "nope" },
    });
    expect(badStart.headers["x-error-code"]).toBe("RevisionNotFound");

    const main = await app.inject({ method: "DELETE", url: "/api/models/alice/repo/branch/main", headers: write });
    expect(main.statusCode).toBe(403);
    expect(main.json().error).toContain("Cannot delete refs/heads/main");
    const missing = await app.inject({ method: "DELETE", url: "/api/models/alice/repo/branch/nope", headers: write });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toContain("Invalid rev id");
    const remove = await app.inject({
      method: "DELETE",
      url: "/api/models/alice/repo/branch/feature/x",
      headers: write,
    });
    expect(remove.statusCode).toBe(200);
    const gone = await app.inject({ url: "/api/models/alice/repo/revision/feature%2Fx" });
    expect(gone.headers["x-error-code"]).toBe("RevisionNotFound");
  });

  it("creates lightweight and annotated tags, refuses duplicates, deletes them", async () => {
    const light = await app.inject({
      method: "POST",
      url: `/api/models/alice/repo/tag/${initial.slice(0, 7)}`,
      headers: write,
      payload: { tag: "v1" },
    });
    expect(light.statusCode).toBe(200);
    const annotated = await app.inject({
      method: "POST",
      url: "/api/models/alice/repo/tag/main",
      headers: write,
      payload: { tag: "v2", message: "Release 2" },
    });
    expect(annotated.statusCode).toBe(200);
    const refs = await app.inject({ url: "/api/models/alice/repo/refs" });
    expect(refs.json().tags).toEqual([
      { name: "v1", ref: "refs/tags/v1", targetCommit: initial },
      { name: "v2", ref: "refs/tags/v2", targetCommit: head },
    ]);
    expect((await app.inject({ url: "/api/models/alice/repo/revision/v2" })).json().sha).toBe(head);
    expect((await app.inject({ url: "/alice/repo/resolve/v2/b.txt" })).headers["x-repo-commit"]).toBe(head);

    const duplicate = await app.inject({
      method: "POST",
      url: "/api/models/alice/repo/tag/main",
      headers: write,
      payload: { tag: "v1" },
    });
    expect(duplicate.statusCode).toBe(409);
    const badName = await app.inject({
      method: "POST",
      url: "/api/models/alice/repo/tag/main",
      headers: write,
      payload: { tag: "invalid tag" },
    });
    expect(badName.statusCode).toBe(400);
    const badRev = await app.inject({
      method: "POST",
      url: "/api/models/alice/repo/tag/nope",
      headers: write,
      payload: { tag: "v3" },
    });
    expect(badRev.headers["x-error-code"]).toBe("RevisionNotFound");
    // A branch may share a tag's name.
    const sameName = await app.inject({ method: "POST", url: "/api/models/alice/repo/branch/v1", headers: write });
    expect(sameName.statusCode).toBe(200);

    const missing = await app.inject({ method: "DELETE", url: "/api/models/alice/repo/tag/main", headers: write });
    expect([missing.statusCode, missing.headers["x-error-code"]]).toEqual([404, "RevisionNotFound"]);
    for (const tag of ["v1", "v2"]) {
      const remove = await app.inject({ method: "DELETE", url: `/api/models/alice/repo/tag/${tag}`, headers: write });
      expect(remove.statusCode).toBe(200);
    }
    expect((await app.inject({ url: "/api/models/alice/repo/revision/v2" })).headers["x-error-code"]).toBe(
      "RevisionNotFound",
    );
  });

  it("needs write on the repo to change refs, and lets anyone read refs and history of a gated repo", async () => {
    const bob = await seedUser(ctx, "bob");
    const cases: [string, Record<string, string>, number][] = [
      ["anonymous", {}, 401],
      ["read token", bearer(await seedToken(ctx, alice, { role: "read" })), 403],
      ["another user's write token", bearer(await seedToken(ctx, bob, { role: "write" })), 403],
    ];
    for (const [who, headers, status] of cases) {
      const requests = [
        { method: "POST" as const, url: "/api/models/alice/repo/branch/dev" },
        { method: "DELETE" as const, url: "/api/models/alice/repo/branch/main" },
        { method: "POST" as const, url: "/api/models/alice/repo/tag/main", payload: { tag: "v9" } },
        { method: "DELETE" as const, url: "/api/models/alice/repo/tag/v9" },
      ];
      for (const request of requests) {
        const response = await app.inject({ ...request, headers });
        expect(response.statusCode, `${who} ${request.method} ${request.url}`).toBe(status);
      }
    }
    expect((await app.inject({ url: "/api/models/alice/repo/refs" })).json().branches).toHaveLength(1);

    const gated = await seedRepo(ctx, alice, "alice/gated", { gated: "manual" });
    const bobRead = bearer(await seedToken(ctx, bob, { role: "read" }));
    expect((await app.inject({ url: "/api/models/alice/gated/refs", headers: bobRead })).statusCode).toBe(200);
    expect((await app.inject({ url: "/api/models/alice/gated/commits/main", headers: bobRead })).statusCode).toBe(200);
    const hidden = await seedRepo(ctx, alice, "alice/hidden", { private: true });
    const anonymous = await app.inject({ url: "/api/models/alice/hidden/refs" });
    expect([anonymous.statusCode, anonymous.headers["x-error-code"]]).toEqual([401, "RepoNotFound"]);
    const other = await app.inject({ url: "/api/models/alice/hidden/commits/main", headers: bobRead });
    expect([other.statusCode, other.headers["x-error-code"]]).toEqual([404, "RepoNotFound"]);
    expect([gated.gated, hidden.private]).toEqual(["manual", true]);
  });
});
